export { corpusRequests, CORPUS_EPOCH_MS, type CorpusRequest } from './emit.js'
export { corpusTools, DEFAULT_PER_CLASS, DOMAINS, generateCorpus, type CorpusOptions } from './generate.js'
export { INJECTION_FAMILIES } from './injections.js'
export { ASSISTANT_KINDS, TASK_CLASSES, type AssistantKind, type TaskClass, type ToolCall, type Trajectory } from './model.js'
