import { doctorMain } from '../src/doctor/cli.ts';

// `npm run doctor`; after `npm run build` the same runs as `node dist/doctor.mjs`.
doctorMain().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error('doctor failed:', e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
