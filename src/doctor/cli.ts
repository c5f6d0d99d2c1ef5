import 'dotenv/config';
import { formatCheck } from './check.ts';
import { runDoctor } from './run.ts';

/** `npm run doctor -- --incident <number>`: one line per check, exit 0 only when none failed. */
export async function doctorMain(argv = process.argv.slice(2)): Promise<number> {
  console.log('close-incident doctor: checking this installation (nothing is closed)');
  const { exitCode } = await runDoctor({ env: process.env, args: argv, onResult: (r) => console.log(formatCheck(r)) });
  console.log(exitCode === 0 ? 'All checks passed.' : 'Some checks failed; fix them and run the doctor again.');
  return exitCode;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  doctorMain().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error('doctor failed:', e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
