export { corpusRequests } from './emit.js'
export { corpusTools, DEFAULT_PER_CLASS, DOMAINS, generateCorpus } from './generate.js'
export { ASSISTANT_KINDS, TASK_CLASSES, type TaskClass, type ToolCall, type Trajectory } from './model.js'
