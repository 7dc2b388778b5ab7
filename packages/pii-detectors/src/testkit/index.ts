export { detectorContract, type DetectorContractOptions, type Positive } from './contract.js';
export {
  CORPUS_KINDS,
  DECOY_KINDS,
  PII_TYPES,
  chunkCorpus,
  generateCorpus,
  sampleDecoys,
  samplePositives,
  type Corpus,
  type CorpusChunk,
  type CorpusKind,
  type CorpusOptions,
  type Decoy,
  type DecoyKind,
  type Planted,
  type PiiType,
} from '../corpus/index.js';
