/** Uploads and imports: uploadFile, checkUpload, importRPM, addExternalRPM, signatures. */
import type { MethodDef } from '../registry.ts';

export const importMethods: MethodDef[] = [];
