/** How each command is called, for the dispatcher's usage line (kept apart so it loads no command). */
export const SERVE_USAGE = 'flash-coupon serve [--role all|api|consumer] [--port N] [--threads N] [--queue kafka|redis] ... (see README, Configuration)';
export const DLQ_USAGE = 'flash-coupon dlq replay [--coupon N] [service flags]';
export const RECONCILE_USAGE = 'flash-coupon reconcile --coupon N [service flags]';

export const USAGE = `usage: ${SERVE_USAGE} | ${DLQ_USAGE} | ${RECONCILE_USAGE}`;
