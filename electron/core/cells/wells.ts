/**
 * The plate well a capture's file name names, so results can be laid out as the plate was. Plate
 * readers and high-content imagers put the well in the name: `B03` alone (`A1` unpadded), within
 * separators (`Plate_B03_s1_w2.tif` from ImageXpress), after `Well` (MetaMorph), or as row and
 * column numbers (`r02c03f01p01-ch1sk1fk1fl1.tiff` from Operetta / Opera Phenix).
 */
export interface Well {
  /** 0 = A. */
  row: number;
  /** 0 = column 01. */
  column: number;
  /** "A01", zero-padded as plate maps print it. */
  name: string;
}

/** Plate layouts, smallest first: 96, 384 and 1536 wells. */
const plates = [
  { rows: 8, columns: 12 },
  { rows: 16, columns: 24 },
  { rows: 32, columns: 48 },
] as const;
const largest = plates[plates.length - 1]!;

// Letters and digits around a token would make it part of a longer word (set01, HT1080, C2C12,
// K562), and ".5" after it a number (E14.5); neither names a well.
const apart = (pattern: string, flags = '') =>
  new RegExp(`(?<![A-Za-z0-9])${pattern}(?![A-Za-z0-9]|\\.\\d)`, `g${flags}`);

/** MetaMorph: "Well A01", "Well_B3", "WellC12", any row of a 1536 plate (AA..AF after Z). */
const afterWord = apart('well[ _-]?([A-Z]{1,2})(\\d{1,2})', 'i');
/** Operetta / Opera Phenix: row and column numbers from 1, the field (f01) often right after. */
const rowColumn = /(?<![A-Za-z0-9])r(\d{2})c(\d{2})(?=f\d|[^A-Za-z0-9]|$)/gi;
/**
 * A bare token, capitals only: lower-case s1, w2, t01 and f01 are sites, wavelengths, times and
 * fields. Only A..P and 1..24 (up to 384 wells): beyond, T01 and Z01 are more often a time point
 * or a z-slice than a well of a 1536 plate, which the two forms above still name.
 */
const bare = apart('([A-P])(\\d{1,2})');
/** ImageJ's split channels are named C1-…, C2-…: a channel, not well C01. */
const imageJChannel = /^C\d+-/;

/** The plate well a file name names; null when it names none, or two different ones. */
export function wellOf(fileName: string): Well | null {
  const name = fileName.split(/[\\/]/).pop()!;
  const explicit = [...name.matchAll(afterWord)].map((m) =>
    wellAt(letterRow(m[1]!.toUpperCase()), Number(m[2]) - 1),
  );
  const numbered = [...name.matchAll(rowColumn)].map((m) => wellAt(Number(m[1]) - 1, Number(m[2]) - 1));
  const tokens = [...name.replace(imageJChannel, '').matchAll(bare)].map((m) =>
    wellAt(letterRow(m[1]!), Number(m[2]) - 1, plates[1]),
  );
  for (const found of [explicit, numbered, tokens]) {
    const wells = found.filter((w): w is Well => w !== null);
    if (wells.length > 0) return new Set(wells.map((w) => w.name)).size === 1 ? wells[0]! : null;
  }
  return null;
}

/** 96 (8 × 12), 384 (16 × 24) or 1536 (32 × 48): the smallest plate that holds all the wells. */
export function plateFormat(wells: Well[]): { rows: number; columns: number } {
  const plate = plates.find((p) => wells.every((w) => w.row < p.rows && w.column < p.columns));
  if (!plate)
    throw new Error(`Some wells lie outside even a 1536-well plate (${largest.rows} × ${largest.columns}).`);
  return { ...plate };
}

/** A..Z are rows 0..25; AA..AF continue a 1536 plate's 32 rows. */
function letterRow(letters: string): number {
  const last = letters.charCodeAt(letters.length - 1) - 65;
  return letters.length === 1 ? last : letters[0] === 'A' ? 26 + last : -1;
}

function wellAt(
  row: number,
  column: number,
  plate: { rows: number; columns: number } = largest,
): Well | null {
  if (!(row >= 0 && row < plate.rows && column >= 0 && column < plate.columns)) return null;
  const letters = row < 26 ? String.fromCharCode(65 + row) : `A${String.fromCharCode(65 + row - 26)}`;
  return { row, column, name: `${letters}${String(column + 1).padStart(2, '0')}` };
}
