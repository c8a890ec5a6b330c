/** The Koji release whose wire protocol koji-ts speaks; sent as `Koji-Version` on every reply. */
export const KOJI_VERSION = '1.35.3';
export const API_VERSION = 1;
