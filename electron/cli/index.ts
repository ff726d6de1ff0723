import { Command, InvalidArgumentError, Option } from 'commander';
import { ModelError } from '../core/model/manifest.js';
import { providerNames } from '../core/model/providers.js';
import { appVersion } from '../core/paths.js';
import { classifyCommand } from './classify.js';
import { outputFormats } from './output.js';
import { UsageError } from './usage.js';

const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1.`);
  return n;
};

const program = new Command()
  .name('metascope')
  .description('Classifies microscope captures with a deep-learning model and keeps every result.')
  .version(appVersion())
  .showHelpAfterError()
  .exitOverride();

program
  .command('classify')
  .description('Classify capture files or folders once and print the results.')
  .argument('<paths...>', 'capture files or folders of captures')
  .option('--model <folder>', 'model folder with model.onnx and model.json (default: the built-in model)')
  .addOption(new Option('--format <format>', 'output format').choices(outputFormats).default('table'))
  .addOption(new Option('--provider <provider>', 'where the model runs').choices(['auto', ...providerNames]).default('auto'))
  .option('--batch <n>', 'captures per inference batch', positiveInt('--batch'), 8)
  .option('--threads <n>', 'CPU threads for the model (default: all cores)', positiveInt('--threads'))
  .option('--recursive', 'also look in subfolders', false)
  .action(async (paths: string[], options) => {
    process.exitCode = await classifyCommand(paths, options);
  });

// `metascope classify … | head` closes the pipe early; that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeFor(error);
}

function exitCodeFor(error: unknown): number {
  const code = (error as { code?: string }).code;
  if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return 0;
  if (code?.startsWith('commander.')) return 2; // commander already printed the usage problem
  if (error instanceof UsageError || error instanceof ModelError) {
    process.stderr.write(`metascope: ${error.message}\n`);
    return 2;
  }
  process.stderr.write(`metascope: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 3;
}
