export { assertPublicUrl, guardedFetch, isPrivateAddress, pinnedFetch, UrlRefused } from './public-url';
export type { UrlPolicy } from './public-url';
