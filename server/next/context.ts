import "server-only";
export { getAppContext } from "../registry";
