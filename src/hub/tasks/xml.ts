/** Tasks' requests and results as stored: XML-RPC text (older Koji rows: base64 of it). */
import { decodeCall, decodeResponse } from '../../protocol/decode.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';

/** Koji's xmlrpcplus.loads of a stored request (→ params) or result (→ [value], or the fault as a struct). */
export function decodeTaskXml(stored: string): XmlRpcValue {
  let xml = stored;
  if (!xml.slice(0, 10).includes('<?xml')) xml = Buffer.from(xml, 'base64').toString('utf8');
  if (/<methodCall[\s>]/.test(xml)) return xml.includes('<methodName>') ? decodeCall(xml).params : decodeCall(xml.replace('<params>', '<methodName>?</methodName><params>')).params;
  const r = decodeResponse(xml);
  return r.ok ? [r.value] : { faultCode: r.faultCode, faultString: r.faultString };
}
