export { decodeStreamName, encodeStreamName, logStreamName, type TenantStream } from './stream-names.js';
