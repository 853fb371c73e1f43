/** Result codes of lua/admit-4.lua (one per request of a batch), mirrored here. */
export const GateCode = {
  MISSING: 0,
  ADMITTED: 1,
  ALREADY_ISSUED: 2,
  SOLD_OUT: 3,
  NOT_STARTED: 4,
  EXPIRED: 5,
  /** Not from the script: the call's answer was lost and it provably admitted this user nobody. */
  UNAVAILABLE: 6,
} as const;

export type GateCode = (typeof GateCode)[keyof typeof GateCode];

/** The first element of admit-4's reply: what happened to the call as a whole. */
export const AdmitStatus = { BEHIND: -3, REBUILDING: -2, LATE: -1, MISSING: 0, DECIDED: 1 } as const;

/** One admit call that admitted someone: its hand-off marker stays in Redis until all are handed off. */
export interface AdmitCall {
  readonly couponId: number;
  readonly id: string;
  /** Redis's clock at admission, epoch ms: the admittedAt of every request of the call. */
  readonly admittedAt: number;
  /** Admitted requests of the call not yet handed off. */
  pending: number;
}

export interface GateResult {
  code: GateCode;
  ticket: number;
  /** Set for ADMITTED. */
  call?: AdmitCall;
}
