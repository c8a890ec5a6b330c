/**
 * Reader of the RPM package file format: lead, signature header, main header, payload location,
 * tag access and a Koji-style package summary (rpmInfo). Node built-ins only.
 */
export {
  RpmFormatError,
  getTag,
  getEntry,
  hasTag,
  getString,
  getStrings,
  getNumber,
  getNumbers,
  getBinary,
  entryValue,
  resolveTag,
  MAX_INDEX_ENTRIES,
  MAX_DATA_SIZE,
  type HeaderEntry,
  type HeaderKind,
  type RpmHeader,
  type TagValue,
} from './header.ts';
export {
  readRpmHeaders,
  parseRpmBuffer,
  parseLead,
  headerDigest,
  computeSigmd5,
  LEAD_SIZE,
  type ByteRange,
  type RpmLead,
  type RpmPackage,
} from './reader.ts';
export { parseSignaturePacket, parsePacketHeader, sigpacketKeyId, type PgpSignatureInfo } from './pgp.ts';
export {
  rpmInfo,
  packageInfo,
  dependencies,
  fileNames,
  fileList,
  fileDigestAlgo,
  changelog,
  headerSigs,
  packageSignature,
  sigkey,
  payloadhash,
  isSourcePackage,
  type RpmChangelogEntry,
  type RpmDependency,
  type RpmFileEntry,
  type RpmInfo,
  type RpmSignature,
} from './info.ts';
export { RPMTAG, RPMSIGTAG, RPM_TYPE, RPMSENSE, RPMFILE, DEP, DEP_TYPES, DIGEST_ALGO_NAMES, tagName, tagNumber, type DependencyKind } from './tags.ts';
