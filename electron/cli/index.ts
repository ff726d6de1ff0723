import { Command, InvalidArgumentError, Option } from 'commander';
import { analysisChoices } from '../core/cells/analysis.js';
import { ModelError } from '../core/model/errors.js';
import { providerNames } from '../core/model/providers.js';
import { appVersion } from '../core/paths.js';
import { classifyCommand } from './classify.js';
import { compareCommand } from './compare.js';
import { evaluateCommand } from './evaluate.js';
import { exportCommand } from './export.js';
import { facilityInitCommand, facilityStatusCommand } from './facility.js';
import { historyCommand, historyStatuses } from './history.js';
import { outputFormats } from './output.js';
import { serveCommand } from './serve.js';
import { say } from './terminal.js';
import { UsageError } from './usage.js';
import { watchCommand } from './watch.js';
import { workerCommand } from './worker.js';

const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1.`);
  return n;
};

const portNumber = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('--port must be a whole number from 0 to 65535.');
  return n;
};

const isoTime = (value: string) => {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('--since must be a date, or a date and time, such as 2025-03-01 or 2025-03-01T14:30.');
  return ms;
};

const program = new Command()
  .name('metascope')
  .description('Classifies microscope captures with a deep-learning model and keeps every result.')
  .version(appVersion())
  .showHelpAfterError()
  .exitOverride();

/** Options several commands share, spelled once. */
const databaseOption = () => new Option('--db <file>', 'database file (default: in the MetaScope data folder)');
const formatOption = () => new Option('--format <format>', 'output format').choices(outputFormats).default('table');
/** The facility database, and where its password comes from: never the command line. */
const withFacility = (command: Command, required: boolean): Command =>
  command
    .addOption(
      new Option(
        '--facility <url>',
        'facility PostgreSQL database, postgres://user@host/database (the password comes from METASCOPE_FACILITY_PASSWORD, PGPASSWORD or --password-file, never from the address)',
      ).makeOptionMandatory(required),
    )
    .option('--password-file <file>', 'file holding the facility password on its first line; only its owner may read it (chmod 600)');

/** The options of the commands that run the model once over files (ModelRunOptions). */
const withModelRun = (command: Command): Command =>
  command
    .option('--model <folder>', 'model folder with model.onnx and model.json (default: the built-in model)')
    .addOption(new Option('--provider <provider>', 'where the model runs').choices(['auto', ...providerNames]).default('auto'))
    .option('--batch <n>', 'captures per inference batch', positiveInt('--batch'), 8)
    .option('--threads <n>', 'CPU threads for the model (default: all cores)', positiveInt('--threads'))
    .addOption(
      new Option('--analysis <mode>', 'one-cell: each capture is one cell; find-cells: find the cells of each capture first; auto: by size')
        .choices(analysisChoices)
        .default('auto'),
    )
    .option('--detector <folder>', 'cell finder folder for whole fields (default: the built-in one)');

withModelRun(
  program
    .command('classify')
    .description('Classify capture files or folders once and print the results.')
    .argument('<paths...>', 'capture files or folders of captures'),
)
  .addOption(formatOption())
  .option('--recursive', 'also look in subfolders', false)
  .option('--cells', 'with --format csv: one row per cell of each field', false)
  .action(async (paths: string[], options) => {
    process.exitCode = await classifyCommand(paths, options);
  });

// Not withModelRun: here --detector takes an optional folder and measures the cell finder itself.
program
  .command('evaluate')
  .description(
    'Measure a model on labelled captures (accuracy, balanced accuracy, ROC AUC, calibration), or with --detector a cell finder on labelled fields (precision, recall, F1), with 95% intervals.',
  )
  .argument(
    '<folder>',
    "a folder with one subfolder of captures per class, named after the model's classes; with --detector, a folder with images/ and masks/",
  )
  .option('--model <folder>', 'model folder with model.onnx and model.json (default: the built-in model)')
  .addOption(
    new Option('--provider <provider>', 'where the model (or cell finder) runs')
      .choices(['auto', ...providerNames])
      .default('auto'),
  )
  .option('--batch <n>', 'captures per inference batch', positiveInt('--batch'), 8)
  .option(
    '--threads <n>',
    'CPU threads for the model (or cell finder) (default: all cores)',
    positiveInt('--threads'),
  )
  .option(
    '--detector [folder]',
    'measure a cell finder instead of the model: the built-in one, or the one in this folder (write it after <folder>, or as --detector=<folder>)',
  )
  .option(
    '--foreign <folder>',
    'also measure the scope check: images the model should refuse (other modalities, cell lines, whole fields), each judged whole',
  )
  .option('--json', 'print one JSON object instead of tables', false)
  .option(
    '--out <folder>',
    'also write report.json, roc.svg/.png and reliability.svg/.png into this folder (with --detector: report.json)',
  )
  .option(
    '--group <pattern>',
    "resample captures in groups for the intervals: a regular expression over file names, its bracketed part (or whole match) naming the group, e.g. '^([^-]+-[0-9]+)-' for the frame of HT1080-000012-3-41.jpg",
  )
  .addHelpText(
    'after',
    `
With --detector, <folder> holds images/NAME.tif (whole fields, any format MetaScope reads) and
masks/NAME.png (for each field a grey 8- or 16-bit label map of the same size: 0 for background,
one value per cell). A found cell counts when its centre falls in a true cell, each true cell at
most once; "IoU ≥ 0.5" matches outlines one to one. Intervals resample whole fields.

Exit codes: 0 every capture or field was evaluated; 1 some failed and are listed after the results
(a file that cannot be read; with --detector also a mask that is not a grey label map, e.g. RGB);
2 the folder cannot be used (with --detector: no images/ or masks/ folder, a field without its
mask, a mask of another size than its field) or the model cannot be opened.`,
  )
  .action(async (folder: string, options) => {
    process.exitCode = await evaluateCommand(folder, options);
  });

program
  .command('serve')
  .description('Run MetaScope in your web browser, on this computer only (127.0.0.1, with a secret token).')
  .option('--port <n>', 'port to listen on; 0 picks a free one', portNumber, 0)
  .addOption(databaseOption())
  .option('--model <folder>', 'model folder with model.onnx and model.json (default: the active model)')
  .option('--detector <folder>', 'cell finder folder for whole fields (default: the built-in one)')
  .option('--watch <folders...>', 'also watch these folders for new captures')
  .option('--open', 'open MetaScope in the default browser, with a sign-in address that works once')
  .option('--facility <address>', "show a facility's shared history (postgres://user@host/database) instead of this computer's own")
  .option('--password-file <file>', 'with --facility: a file only you can read (chmod 600) holding the password')
  .action(async (options) => {
    process.exitCode = await serveCommand(options);
  });

program
  .command('watch')
  .description('Classify captures as they arrive in folders and keep every result, until Ctrl-C.')
  .argument('<folders...>', 'folders the microscope software saves captures into')
  .addOption(databaseOption())
  .option('--model <folder>', 'model folder with model.onnx and model.json (default: the built-in model)')
  .option('--detector <folder>', 'cell finder folder for whole fields (default: the built-in one)')
  .option('--recursive', 'also watch subfolders', false)
  .option('--settle <ms>', 'how long a file must stay unchanged before it is read', positiveInt('--settle'))
  .addOption(formatOption())
  .option('--workstation <name>', 'with --facility: the name this computer goes by in the facility history (default: its host name)')
  .option('--microscope <name>', 'with --facility: the microscope whose captures these folders receive');
withFacility(program.commands.at(-1)!, false).action(async (folders: string[], options) => {
  process.exitCode = await watchCommand(folders, options);
});

const collect = (value: string, previous: string[]) => [...previous, value];
withFacility(
  withModelRun(
    program
      .command('worker')
      .description('Classify the captures of a facility (queued by metascope watch --facility on the workstations) until Ctrl-C.'),
  ),
  true,
)
  .option('--path-map <rule>', "FROM=TO: read captures seen under FROM at TO on this machine (repeat for more rules), e.g. 'D:\\Exports=/mnt/exports'", collect, [])
  .option('--name <name>', 'name of this worker in facility status and on its results (default: host name and process id)')
  .action(async (options) => {
    process.exitCode = await workerCommand(options);
  });

const facility = program.command('facility').description('Set up and watch a facility database (PostgreSQL) shared by workstations and workers.');
withFacility(facility.command('init').description('Create the tables and job queues in the facility database; safe to run again.'), true)
  .option('--job-timeout <s>', 'seconds a worker may hold a job before it goes to another worker', positiveInt('--job-timeout'))
  .option('--retries <n>', 'tries after the first for a job that fails (then it is set aside with its reason)', positiveInt('--retries'))
  .option('--retry-delay <s>', 'seconds before the first retry; each next one waits twice as long', positiveInt('--retry-delay'))
  .action(async (options) => {
    process.exitCode = await facilityInitCommand(options);
  });
withFacility(facility.command('status').description('Show queue depth, workers alive, captures a minute and jobs set aside with their reasons.'), true)
  .option('--json', 'print one JSON object', false)
  .action(async (options) => {
    process.exitCode = await facilityStatusCommand(options);
  });

program
  .command('history')
  .description('Print the stored results (or with --status the captures that could not be classified), oldest first.')
  .addOption(databaseOption())
  .option('--class <name>', 'only results with this final label (the latest review, else the model’s class)')
  .option('--since <time>', 'only results classified (or captures failed) at or after this time (ISO 8601)', isoTime)
  .addOption(
    new Option(
      '--status <status>',
      'ok: classified captures; failed: captures that could not be classified, with the reason; all: both',
    )
      .choices(historyStatuses)
      .default('ok'),
  )
  .addOption(formatOption())
  .option('--workstation <name>', 'with --facility: only captures seen at this workstation')
  .option('--microscope <name>', 'with --facility: only captures of this microscope');
withFacility(program.commands.at(-1)!, false).action(async (options) => {
  process.exitCode = await historyCommand(options);
});

program
  .command('compare')
  .description('Print how far two models agree on the captures both classified (re-run one model on the other\'s captures in the app first).')
  .addOption(databaseOption())
  .requiredOption('--model <name>', 'a model as id or id@version; give it twice', (value: string, previous: string[]) => [...previous, value], [] as string[])
  .option('--folder <path>', 'only the captures of this watched folder')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
  .action(async (options) => {
    process.exitCode = await compareCommand(options);
  });

program
  .command('export')
  .description('Write every result, with all it takes to reproduce it, to a CSV file.')
  .addOption(databaseOption())
  .requiredOption('--out <file>', 'CSV file to write')
  .option('--cells', 'one line per cell of each whole field instead of one per result', false)
  .action(async (options) => {
    process.exitCode = await exportCommand(options);
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
  // The reader went away (`… | head`): what it wanted was printed.
  if (code === 'EPIPE') return process.exitCode === undefined ? 0 : Number(process.exitCode);
  if (error instanceof UsageError || error instanceof ModelError) {
    say(`metascope: ${error.message}`);
    return 2;
  }
  process.stderr.write(`metascope: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 3;
}
