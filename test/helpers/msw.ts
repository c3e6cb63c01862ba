import { setupServer } from "msw/node";

/** One MSW server per test isolate; handlers are added by the helpers that need them. */
export const mockServer = setupServer();
