/**
 * Signals of an indirect prompt injection, scored by the detector in injection.ts. Each signal is
 * weak on its own; what separates an injection from an ordinary request between people is who is
 * addressed (an AI, or "you" with a claim of override or priority) and spoofed roles or
 * delimiters, so only `directed` signals may start a finding.
 *
 * Every pattern is anchored on a literal word or token and uses bounded repetition only, so a scan
 * stays linear in the text whatever it holds (no nested unbounded quantifiers).
 */

export interface Signal {
  readonly reason: string
  /** The finding's kind when this is its strongest directed signal. */
  readonly kind: string
  readonly weight: number
  /** Whether the signal says the text is aimed at the assistant (needed to raise a finding). */
  readonly directed: boolean
  readonly pattern: RegExp
}

/** Nouns that name an AI reader; "assistant" or "agent" alone is too often a person. */
const AI = String.raw`(?:ai|a\.i\.|llms?|large language models?|language models?|chatbots?|gpt(?:-?\d[\w.]{0,6})?|chatgpt|claude|gemini|copilot|llama|mistral|virtual assistants?|digital assistants?|(?:ai|autonomous|llm) (?:assistants?|agents?|models?|systems?|bots?))`
/** Any reader of the text, for the vocative forms where a person is rarely addressed this way. */
const READER = String.raw`(?:${AI}|assistants?|agents?|models?|bots?)`
const W = String.raw`[\w'’-]{1,24}`
/** Qualifiers that make "ignore the X" point back at an earlier prompt. */
const BACK = String.raw`(?:previous|prior|above|earlier|preceding|original|former|initial|foregoing|old|existing|current|system|all)`
/** Instruction nouns, typos included ("iunstructions" is a published attack string). */
const ORDERS = String.raw`(?:\w{0,3}nstr\w{0,9}|prompts?|directives?|guidelines?|rules|commands|tasks?|context|orders|programming|constraints)`

const VERBS = String.raw`(?:send|forward|concatenate|e-?mail|mail|pay|transfer|wire|invite|add|share|grant|give|change|reset|update|set|delete|remove|erase|wipe|download|install|run|execute|visit|open|go to|navigate|click|fetch|browse|post|publish|create|book|reply|respond|schedule|move|copy|upload|export|write|tell|say|output|print|reveal|disclose|leak|call|make|buy|purchase|order|approve|disable|enable|unlock|read|summari[sz]e|include|insert|append|attach|retrieve|find|search|look up|contact|message|text|do|use|provide|list|grab|collect|store|save|cancel|accept|confirm)`

/** Lead-ins allowed before a sentence-initial imperative. */
const LEAD = String.raw`(?:[-*•>#\s]{0,6}(?:\d{1,2}[.)]\s{1,3})?(?:(?:(?:user|human|system|assistant)\s{0,2}:|please|kindly|now|then|also|first(?:ly)?|next|finally|immediately|and|after that|afterwards|secondly|lastly|step \d{1,2}:?|todo:?)[,:]?\s{1,3}){0,3})`

function re(source: string, flags = 'gi'): RegExp {
  return new RegExp(source, flags)
}

export const SIGNALS: readonly Signal[] = [
  {
    reason: 'chat-template or instruction delimiter',
    kind: 'delimiter_spoof',
    weight: 3,
    directed: true,
    pattern: re(
      String.raw`<\|(?:im_start|im_end|system|assistant|user|endoftext|eot_id|start_header_id|end_header_id|begin_of_text)\|>|\[\/?INST\]|<<\/?SYS>>|#{2,3}\s{0,2}\(?(?:system(?:[ _]message)?|instruction|instructions|response|assistant)\)?\s{0,2}:?|<\/?(?:INFORMATION|IMPORTANT|instructions?|system|system_message|admin|override)>`,
    ),
  },
  {
    reason: 'orders to ignore earlier instructions',
    kind: 'instruction_override',
    weight: 3,
    directed: true,
    pattern: re(
      String.raw`\b(?:ignore|disregard|forget|override|overrule|bypass|abandon|drop)\s{1,3}(?:(?:all|any|of|the|your|my|these|those|each|every)\s{1,3}){0,3}${BACK}\s{1,3}(?:${W}\s{1,3})?${ORDERS}\b|\b(?:ignore|disregard|forget)\s{1,3}(?:(?:all|any|of|the|your)\s{1,3}){0,3}(?:system prompt|prompt|directives|programming)\b`,
    ),
  },
  {
    reason: 'asks to keep the action from the user',
    kind: 'concealment',
    weight: 3,
    directed: true,
    pattern: re(
      String.raw`\b(?:do not|don['’]t|never|without|must not|mustn['’]t|should not|shouldn['’]t)\s{1,3}(?:ever\s{1,3})?(?:tell|telling|inform|informing|mention|mentioning|alert|alerting|reveal|revealing|disclose|disclosing|notify|notifying)\s{1,3}(?:(?:this|it|anything|that)\s{1,3})?(?:to\s{1,3})?(?:the|your)\s{1,3}(?:user|human|owner|principal|account holder)\b|\b(?:the|your)\s{1,3}user\s{1,3}(?:must|should|need|does)\s{1,3}(?:not|never)\s{1,3}(?:know|find out|be told|see)\b`,
    ),
  },
  // "Before you start the task, read…" opens ordinary how-tos: only someone's given task counts.
  {
    reason: 'overrides the task the assistant was given',
    kind: 'task_override',
    weight: 2,
    directed: true,
    pattern: re(
      String.raw`\b(?:before|after|instead of)\s{1,3}(?:you\s{1,3})?(?:can\s{1,3})?(?:do|doing|solve|solving|complete|completing|start|starting|proceed|proceeding|continue|continuing|answer|answering|respond|responding|finish|finishing|perform|performing|handle|handling|carry|carrying)\s{1,3}(?:(?:out|with|on|to)\s{1,3})?(?:(?:the|your|this|any|my|that)\s{1,3}(?:original|current|actual|main|assigned|requested|user['’]?s?|initial|previous|other)\s{1,3}(?:task|request|instructions?|question|job|assignment)\b|(?:the|your|this|any|my|that)\s{1,3}(?:task|request|instructions?|question|job|assignment)\s{1,3}(?:that\s{1,3})?(?:the\s{1,3}user|I|you|they|we)\s{1,3}(?:gave|asked|assigned|requested|set|were\s{1,3}given|have\s{1,3}been\s{1,3}given)\b)|\bthe\s{1,3}(?:task|request|instructions?)\s{1,3}(?:that\s{1,3})?(?:I|the user)\s{1,3}(?:gave|asked|assigned|requested)\s{1,3}(?:you|of you|for)\b|\b(?:new|updated|revised|additional|real|actual|true|secret|hidden|priority|urgent)\s{1,3}(?:instructions?|task|objective|goal|directive|orders)\s{0,3}(?:is|are|:)|\byour\s{1,3}(?:(?:new|real|actual|true|primary|only|first|next|updated)\s{1,3})(?:task|goal|objective|mission|job|instructions?|directive)\b|\b(?:strictly\s{1,3}(?:adhere\s{1,3}to|follow)|obey|comply\s{1,3}with)\s{1,3}(?:the|these|this|my)\s{1,3}(?:following|below|new|next)\b`,
    ),
  },
  {
    reason: 'says the user or its author delegates to the assistant',
    kind: 'false_authority',
    weight: 2,
    directed: true,
    pattern: re(
      String.raw`\b(?:the|your)\s{1,3}(?:user|human|owner|principal|boss|operator)\s{1,3}(?:has\s{1,3})?(?:also\s{1,3}|now\s{1,3}|already\s{1,3})?(?:asked|wants|requested|instructed|authori[sz]ed|approved|needs|expects|told|would like)\s{1,3}(?:that\s{1,3})?you\b|\bmessage\s{1,3}from\s{1,3}me\b[^.\n]{0,60}\bto\s{1,3}you\b`,
    ),
  },
  {
    reason: 'addresses an AI reader',
    kind: 'addressed_to_assistant',
    weight: 2,
    directed: true,
    pattern: re(
      String.raw`\b(?:dear|hey|hi|hello|attention|attn|note\s{1,3}to|message\s{1,3}(?:to|for)|instructions?\s{1,3}(?:to|for)|reminder\s{1,3}(?:to|for)|to\s{1,3}you,?|you,)\s{0,3}:?\s{0,3}(?:(?:the|all|any|an?|my)\s{1,3})?${READER}\b|\b(?:as|you\s{1,3}are|if\s{1,3}you\s{1,3}are|since\s{1,3}you\s{1,3}are)\s{1,3}(?:an?|the)\s{1,3}(?:(?:helpful|autonomous|personal|smart|capable)\s{1,3})?${AI}\b|\b${AI}\s{1,3}(?:reading|processing|summari[sz]ing|parsing|viewing|analy[sz]ing)\s{1,3}(?:this|these)\b|(?:^|[\n.!?]\s{0,3})${AI},\s{0,3}(?:please|you|ignore|do|make|before|send|stop|now)\b`,
    ),
  },
  {
    reason: 'gives the assistant orders by role',
    kind: 'addressed_to_assistant',
    weight: 2,
    directed: true,
    // "TODO for the assistant:", "[NOTICE FOR AI AGENTS]", "<!-- assistant: …", "Assistant, send …",
    // "automated assistants are required to", "as the next function call"
    pattern: re(
      String.raw`\b(?:for|to)\s{1,3}(?:(?:the|all|any|every)\s{1,3})?(?:automated\s{1,3})?${READER}\s{0,3}[:\]]|<!--\s{0,3}(?:assistant|agent|ai|system|model)\s{0,2}:|(?:^|[
.!?]\s{0,3})(?:assistant|agent)\s{0,2},\s{0,3}(?:please\s{1,3})?(?:${VERBS}|as|you|before|ignore|now)\b|\b(?:as\s{1,3})?(?:the|your)\s{1,3}(?:next|following|first)\s{1,3}(?:function|tool)\s{1,3}calls?\b`,
    ),
  },
  {
    reason: 'tells automated assistants what they must do',
    kind: 'addressed_to_assistant',
    weight: 3,
    directed: true,
    pattern: re(String.raw`\b(?:automated|ai)\s{1,3}(?:assistants?|agents?|systems?)\s{1,3}(?:are|is|must|should|shall|will)\s{1,3}(?:(?:required|instructed|expected|asked|obliged)\s{1,3}to|now)\b`),
  },
  {
    reason: 'orders to act without the user',
    kind: 'concealment',
    weight: 3,
    directed: true,
    pattern: re(
      String.raw`\b(?:do not|don['’]t|never|without)\s{1,3}(?:ask|asking|check|checking|confirm|confirming|consult|consulting|wait|waiting)\s{1,3}(?:(?:with|for)\s{1,3})?(?:the|your)\s{1,3}(?:user|human|owner|account holder)\b`,
    ),
  },
  {
    reason: 'orders to ignore earlier instructions',
    kind: 'instruction_override',
    weight: 3,
    directed: true,
    pattern: re(
      String.raw`\b(?:ignore|disregard|forget)\s{1,3}(?:(?:all|any|of|the|your|these)\s{1,3}){0,3}${ORDERS}\s{1,3}(?:above|before|so\s{1,3}far|you\s{1,3}(?:were|have\s{1,3}been)\s{1,3}given|you\s{1,3}received)\b`,
    ),
  },
  {
    reason: 'a spoofed turn of the conversation',
    kind: 'role_spoof',
    weight: 3,
    directed: true,
    pattern: re(String.raw`(?:^|
)[ 	>*#]{0,6}assistant\s{0,2}:[^
]{0,200}
[ 	>*#]{0,6}(?:user|human)\s{0,2}:`),
  },
  {
    reason: 'puts something before the assistant\'s task',
    kind: 'task_override',
    weight: 2,
    directed: true,
    // "Before you do the release, update the changelog" is a colleague: only the task or an answer counts
    pattern: re(String.raw`\bbefore\s{1,3}you\s{1,3}(?:(?:do|solve|complete|finish)\s{1,3}(?:the|your|this|my)\s{1,3}(?:task|request|job|assignment)\b|(?:answer|reply|respond|continue|proceed)\b)`),
  },
  {
    reason: 'redefines the assistant',
    kind: 'role_redefinition',
    weight: 2,
    directed: true,
    pattern: re(
      String.raw`\byou\s{1,3}are\s{1,3}(?:now|no\s{1,3}longer)\s{1,3}(?:(?:an?|the|in|my|operating\s{1,3}as|acting\s{1,3}as)\s{1,3})?(?:${W}\s{1,3}){0,2}(?:${READER}|dan|jailbroken|unrestricted|unfiltered|admin(?:istrator)?|developer\s{1,3}mode|god\s{1,3}mode)\b|\bfrom\s{1,3}now\s{1,3}on,?\s{1,3}you\s{1,3}(?:are|will|must|should|shall)\b|\bpretend\s{1,3}(?:to\s{1,3}be|you\s{1,3}are)\b|\benter\s{1,3}(?:developer|debug|god|admin)\s{1,3}mode\b`,
    ),
  },
  {
    reason: 'speaks as a chat role',
    kind: 'role_spoof',
    weight: 2,
    directed: true,
    // Only when the line goes on to instruct: "System: Ubuntu 22.04" in a bug report is data.
    pattern: re(
      String.raw`(?:^|\n)[ \t>*#]{0,6}(?:system|assistant|ai|developer)\s{0,2}\*{0,2}\s{0,2}:(?=[^\n]{0,120}\b(?:you|your|the user|instructions?)\b|\s{0,3}(?:please\s{1,3})?${VERBS}\b)`,
    ),
  },
  {
    reason: 'fake end of the data',
    kind: 'end_of_data_spoof',
    weight: 2,
    directed: true,
    pattern: re(
      String.raw`\bend\s{1,3}of\s{1,3}(?:the\s{1,3})?(?:e-?mail|document|data|context|tool\s{1,3}(?:output|result)s?|function\s{1,3}(?:output|result)s?|search\s{1,3}results|retrieved\s{1,3}(?:content|documents?)|user\s{1,3}data|untrusted\s{1,3}(?:content|data)|input)\b|<\/(?:data|document|email|context|tool_output|tool_result|function_results|search_results|untrusted|user_data|input)>`,
    ),
  },
  {
    reason: 'speaks as a chat role',
    kind: 'role_spoof',
    weight: 1,
    directed: false,
    pattern: re(String.raw`(?:^|\n)[ \t>*#]{0,6}(?:user|human)\s{0,2}:`),
  },
  {
    reason: 'urgency marker',
    kind: 'urgency',
    weight: 1,
    directed: false,
    pattern: re(String.raw`\b(?:IMPORTANT|URGENT|ATTENTION|CRITICAL|WARNING|PRIORITY)\b|!!!`, 'g'),
  },
  {
    reason: 'orders an action',
    kind: 'action_request',
    weight: 1,
    directed: false,
    pattern: re(
      String.raw`\b(?:please|kindly)\s{1,3}${VERBS}\b|\b(?:you\s{1,3}(?:must|should|need\s{1,3}to|have\s{1,3}to|are\s{1,3}(?:required|expected|instructed|asked)\s{1,3}to|will\s{1,3}need\s{1,3}to)|I\s{1,3}(?:need|want|require)\s{1,3}you\s{1,3}to|make\s{1,3}sure\s{1,3}(?:to|you)|be\s{1,3}sure\s{1,3}to|it\s{1,3}is\s{1,3}(?:very\s{1,3})?(?:important|crucial|essential|vital|imperative|mandatory)\s{1,3}(?:that\s{1,3}you|to)|(?:do\s{1,3}not|don['’]t)\s{1,3}forget\s{1,3}to|remember\s{1,3}to)\s{1,3}(?:${W}\s{1,3})?${VERBS}\b|\bdo\s{1,3}the\s{1,3}following\b`,
    ),
  },
]

/** A sentence that opens with an imperative; matched sticky at each sentence start. */
export const IMPERATIVE: Signal = {
  reason: 'orders an action',
    kind: 'action_request',
  weight: 1,
  directed: false,
  // "Contact: a@b" and "Order: 1234" are labels, not orders
  pattern: re(String.raw`${LEAD}${VERBS}\b(?!\s{0,2}:)`, 'iy'),
}

/** Tags that open a block whose whole body belongs to the finding. */
export const OPENING_TAG = /<(INFORMATION|IMPORTANT|instructions?|system|system_message|admin|override)>|\[INST\]|<\|im_start\|>/gi
