export { assertPublicUrl, guardedFetch, isPrivateAddress, UrlRefused } from './public-url';
export type { UrlPolicy } from './public-url';
