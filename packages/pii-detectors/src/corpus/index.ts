export {
  CORPUS_KINDS,
  chunkCorpus,
  generateCorpus,
  sampleDecoys,
  samplePositives,
  type Corpus,
  type CorpusChunk,
  type CorpusKind,
  type CorpusOptions,
  type Decoy,
  type Planted,
} from './generate.js';
export { DECOY_KINDS, PII_TYPES, type DecoyKind, type PiiType } from './values.js';
export { createRandom, type Random } from './random.js';
