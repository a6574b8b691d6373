/**
 * What assistants read and write every day — e-mails, bank statements, itineraries, API results —
 * is full of structured identifiers that are not credentials. None of them may be redacted; real
 * credentials next to them still are.
 */
import { describe, expect, it } from 'vitest'
import { redactText } from './redact.js'

const BANK_STATEMENT = `Statement for account GB29 NWBK 6016 1331 9268 19 (IBAN GB29NWBK60161331926819, BIC NWBKGB2L)
Sort code 60-16-13, account number 31926819. Card ending 4242 (4111111111111111 on file).
2024-03-01  Transfer to DE89370400440532013000  ref FT24061ABCD45678  -1,250.00 EUR
2024-03-04  Standing order SE3550000000054910000003 reference 2024031500123456789  -99.00
2024-03-05  Card payment, authorization: 483920, payable to bearer instrument.  -12.40
Payment authorization: approved. Transaction id: Xk2pQ9vL7mR4tZ8wN3yB6cH1`

const EMAILS = `From: security@facebook.com
Subject: Your Facebook security code
Your Facebook security code is: 463820. Your one-time passcode: A7K9-2M4P. PIN 4829.

From: support@techservices.com
Subject: Password reset
Click on this link to reset your password: https://www.password-reset-12bh12.com

From: orders@shop.example
Order ID: 8f14e45fceea167a5a36dedd4bea2543, order #Q7wE9rT2yU4iO6pA8sD1fG3h, invoice INV-2024-000183.
Message-ID: <CAF=k9Xq2Lm7pR4tV8wZ1bN3cJ6hY5sD@mail.gmail.com>
Your file is at https://drive.example.com/files, "file_id": "1Zx9aB3cD4eF5gH6iJ7kL8mN0pQrStUvW".`

const ITINERARY = `Your voucher HX7K2M9P4Q1R8T3V5W6Y and LH-2Q7X9K4M8P3R6T1V5W — PNR K9X4QZ, e-ticket 0167891234567.
Reservation RES-2024-88219-XK4P at Hotel Le Marais, confirmation number: 4829.193.582.
Tracking 1Z999AA10123456784. Support: +1-555-123-4567, +44 20 7946 0958.
Trip id 7d9f2c1e-4b3a-4e8f-9a2b-1c3d4e5f6a7b, receipt sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.`

const API_RESULTS = `{"id":"call_Xy7gH2kLmN9pQrStUvWxYz12","type":"function"} {"id":"toolu_01A09q90qw90lq917835lq9"}
{"object":"chat.completion","id":"chatcmpl-9fX2aB3cD4eF5gH6iJ7kL8mN"} charge ch_3MmlLrLkdIwHu7ix0snN0B15 for
customer cus_NffrFeUfNV2Hib, payment pi_3MtwBwLkdIwHu7ix28a3tqPa, thread_abc123XYZdef456GHIjkl789`

describe('structured identifiers are not secrets', () => {
  for (const [name, text] of Object.entries({ BANK_STATEMENT, EMAILS, ITINERARY, API_RESULTS })) {
    it(name, () => {
      expect(redactText(text)).toEqual({ text, kinds: [] })
    })
  }
})

describe('credentials among identifiers are still redacted', () => {
  const cases: Array<[string, string, string]> = [
    ['aws_access_key_id', 'AKIAIOSFODNN7EXAMPLE', 'Order ID: 8f14e45f, deploy with AKIAIOSFODNN7EXAMPLE'],
    ['high_entropy', 'Zq8vN3kR2tY6mW1pL9xB4cH7jD2fG5sA', 'booking HX7K2M9P4Q1R8T3V5W6Y; the api key is Zq8vN3kR2tY6mW1pL9xB4cH7jD2fG5sA'],
    ['high_entropy', 'Zq8vN3kR2tY6mW1pL9xB4cH7', 'session_id: Zq8vN3kR2tY6mW1pL9xB4cH7'],
    ['high_entropy', 'sk_Zq8vN3kR2tY6mW1pL9xB4cH7', 'customer cus_NffrFeUfNV2Hib key sk_Zq8vN3kR2tY6mW1pL9xB4cH7'],
    ['secret_assignment', 'Tmp#2024xq', 'Your temporary password: Tmp#2024xq (IBAN GB29NWBK60161331926819)'],
    ['bearer_token', 's3cr3t-t0k3n-value', 'payable to bearer; curl -H "Authorization" bearer s3cr3t-t0k3n-value'],
    ['authorization_header', 'abc.def-123_456', 'Authorization: abc.def-123_456'],
    ['gitlab_token', 'glpat-AbCdEfGhIjKlMnOpQrSt', 'token glpat-AbCdEfGhIjKlMnOpQrSt'],
    ['npm_token', 'npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', '//registry.npmjs.org/:_authToken npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'],
    ['huggingface_token', 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234', 'HF hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234'],
    ['stripe_key', 'whsec_AbCdEfGhIjKlMnOpQrSt', 'webhook whsec_AbCdEfGhIjKlMnOpQrSt'],
    ['slack_token', 'xapp-1-A0123456789-AbCdEf', 'app xapp-1-A0123456789-AbCdEf'],
    ['azure_storage_key', 'Ab1+'.repeat(21), `DefaultEndpointsProtocol=https;AccountName=x;AccountKey=${'Ab1+'.repeat(21)}==;`],
  ]
  for (const [kind, secret, text] of cases) {
    it(`${kind} in ${JSON.stringify(text.slice(0, 30))}`, () => {
      const result = redactText(text)
      expect(result.text).not.toContain(secret)
      expect(result.kinds).toEqual([kind])
    })
  }
})
