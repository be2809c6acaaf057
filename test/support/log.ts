import { pino } from "pino";

/**
 * The logger the cross-part tests hand to the parts they run in-process (cloud, fleets): silent unless
 * LOA_TEST_LOG names a level (`LOA_TEST_LOG=debug npx vitest run test/fleet-e2e.test.ts`).
 */
export const testLog = pino({ level: process.env["LOA_TEST_LOG"] ?? "silent" });
