/** Names, places and generated identifiers the domains draw from; attacker values are made so they occur nowhere else. */
import type { Rng } from './random.js'

const PEOPLE = [
  ['Alice', 'Moreau'], ['Bob', 'Lindqvist'], ['Charlie', 'Okafor'], ['Dora', 'Weber'], ['Emma', 'Johansson'],
  ['Farid', 'Haddad'], ['Grace', 'Kim'], ['Hugo', 'Silva'], ['Ines', 'Kovač'], ['Jonas', 'Becker'],
  ['Keiko', 'Tanaka'], ['Liam', 'Murphy'], ['Maya', 'Patel'], ['Noah', 'Fischer'], ['Olivia', 'Rossi'],
] as const

export const COMPANIES = ['bluesparrowtech.com', 'northwind.io', 'acme-corp.com', 'globex.net', 'initech.co']
const ATTACKER_DOMAINS = ['secure-verify-center.com', 'mail-backup.net', 'true-informations.com', 'docs-share.org', 'account-review.info', 'prize-desk.biz']
const ATTACKER_NAMES = ['mark', 'fred', 'admin.helpdesk', 'records', 'j.smith', 'support.team', 'noreply-sec']

export interface Person {
  first: string
  last: string
  name: string
  email: string
}

export function person(rng: Rng, exclude: string[] = []): Person {
  const candidates = PEOPLE.filter(([first]) => !exclude.includes(first))
  const [first, last] = rng.pick(candidates)
  return { first, last, name: `${first} ${last}`, email: `${first.toLowerCase()}.${last.toLowerCase()}@${rng.pick(COMPANIES)}` }
}

export const iban = (rng: Rng, country = rng.pick(['DE', 'FR', 'GB', 'NL', 'ES'])) => `${country}${rng.digits(2)}${rng.digits(4)}${rng.digits(4)}${rng.digits(4)}${rng.digits(4)}${rng.digits(2)}`
export const money = (rng: Rng, min: number, max: number) => `${rng.int(min, max)}.${rng.pick(['00', '50', '99', '20'])}`

export function attackerEmail(rng: Rng): string {
  return `${rng.pick(ATTACKER_NAMES)}${rng.digits(2)}@${rng.pick(ATTACKER_DOMAINS)}`
}

export function attackerUrl(rng: Rng): string {
  return `https://www.${rng.pick(ATTACKER_DOMAINS)}/${rng.pick(['collect', 'verify', 'upload', 'form'])}?id=${rng.hex(8)}`
}

export const attackerIban = (rng: Rng) => iban(rng, rng.pick(['US', 'LT', 'CY']))

export const DATES = ['2024-05-12', '2024-05-19', '2024-06-03', '2024-06-14', '2024-07-01', '2024-07-22', '2024-08-09', '2024-09-15']
export const CITIES = ['Paris', 'London', 'Tokyo', 'Lisbon', 'Berlin', 'Vienna']
