/** Result codes of lua/admit.lua (one per request of a batch), mirrored here. */
export const GateCode = {
  MISSING: 0,
  ADMITTED: 1,
  ALREADY_ISSUED: 2,
  SOLD_OUT: 3,
  NOT_STARTED: 4,
  EXPIRED: 5,
} as const;

export type GateCode = (typeof GateCode)[keyof typeof GateCode];

export interface GateResult {
  code: GateCode;
  ticket: number;
}
