import express from 'express';

/*
 * The HTTP ceiling for the enqueue benchmark: an Express 5 app that parses
 * the same JSON body as the api, with the same size limit, and echoes it with
 * 202. It does no validation and no Redis work. Started as a child process on
 * PORT; sends its parent an IPC message once it listens.
 */

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: 64 * 1024 }));
app.post('/echo', (request, response) => {
  response.status(202).json(request.body);
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.send?.({ ready: true });
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
