// Starts NocoDB as an express app on 127.0.0.1:$PORT (data location from NC_DB).
// Used by tools/nocodb/nocodb_server.py; see docs/nocodb.md.
const express = require("express");
const http = require("http");
const { Noco } = require("nocodb");

(async () => {
  const app = express();
  const httpServer = http.createServer(app);
  app.use(await Noco.init({}, httpServer, app));
  const port = Number(process.env.PORT || 8080);
  httpServer.listen(port, "127.0.0.1", () => {
    console.log(`nocodb listening on http://127.0.0.1:${port}`);
  });
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
