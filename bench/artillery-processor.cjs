// Helpers for bench/artillery.yml (Artillery loads this with require()).
const { randomUUID } = require("node:crypto");

module.exports = {
  /** A new clientId for the next message:send. */
  newClientId(context, _events, done) {
    context.vars.clientId = randomUUID();
    return done();
  },
};
