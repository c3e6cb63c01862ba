import pkg from "../package.json";

/** The name clients see in `serverInfo` and on the landing page. */
export const SERVER_NAME = "pandgate";
/** The release, taken from package.json so there is one place to bump it. */
export const SERVER_VERSION: string = pkg.version;
