export { detectorContract, type DetectorContractOptions, type Positive } from './contract.js';
// The labelled corpora too, so detector authors test against the same values and decoys as the built-ins.
export * from '../corpus/index.js';
