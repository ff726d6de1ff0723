import { describe, expect, it } from 'vitest';
import { plateFormat, wellOf, type Well } from './wells.js';

const name = (fileName: string) => wellOf(fileName)?.name ?? null;

describe('wellOf', () => {
  it('gives row and column from 0 and the zero-padded name', () => {
    expect(wellOf('A01.tif')).toEqual({ row: 0, column: 0, name: 'A01' });
    expect(wellOf('P24.tif')).toEqual({ row: 15, column: 23, name: 'P24' });
    expect(wellOf('C7.png')).toEqual({ row: 2, column: 6, name: 'C07' });
  });

  it.each([
    ['B03.tif', 'B03'],
    ['b03_rest.tif', null], // lower case is a site, time or field token, never a bare well
    ['A1_01_1_1_Bright Field_001.tif', 'A01'], // Cytation
    ['VID1_A1_1_2021y01m01d_00h00m.tif', 'A01'], // Incucyte: the date parts are lower-case runs
    ['plate1_A01_.tif', 'A01'],
    ['Plate 7 H12 field 3.tiff', 'H12'],
    ['MyExp_B03_s1_w2.TIF', 'B03'], // ImageXpress
    ['MyExp_B03_s1_w2A8C3E1F2-7D4B-4C2E-9A51-3B6E0F1D2C4A.tif', 'B03'], // ImageXpress with its GUID
    ['MyExp_B03_s1_thumb.tif', 'B03'],
    ['Scan_Well A01_Site 2.tif', 'A01'], // MetaMorph
    ['Well_B3.tif', 'B03'],
    ['wellC12.tif', 'C12'],
    ['Well AF48.tif', 'AF48'], // the last well of a 1536 plate
    ['Well Z01.tif', 'Z01'],
    ['r02c03f01p01-ch1sk1fk1fl1.tiff', 'B03'], // Operetta / Opera Phenix
    ['R16C24F09P01-CH2.tiff', 'P24'],
    ['r32c48f01p01-ch1.tiff', 'AF48'],
    ['2023-05-01_HeLa_D05_s4.tif', 'D05'],
    ['A549_B02_s1.tif', 'B02'], // A549 the cell line is one word, B02 the well
    ['C2C12_P12.tif', 'P12'],
    ['experiment/2024/B03_s1.tif', 'B03'], // folders are not the name
    ['C:\\data\\plate 2\\G11.tif', 'G11'],
    ['Well B03 - B03_s1.tif', 'B03'], // named twice, the same well
  ])('finds the well in %s', (fileName, well) => {
    expect(name(fileName)).toBe(well);
  });

  it.each([
    ['set01.tif', 'letters before the number make a word'],
    ['SET01.tif', 'a word in capitals is still a word'],
    ['2023-01-15.tif', 'a date'],
    ['20230115_120000.tif', 'a timestamp'],
    ['15Jan2023.tif', 'a date in words'],
    ['HT1080-000000-1-1.jpg', 'a cell line and frame numbers'],
    ['293A-000003.j-1-5.jpg', 'a digit before the letter'],
    ['HEK293A_frame12.tif', 'a cell line'],
    ['NIH3T3_K562_MCF7.tif', 'cell lines'],
    ['A549.tif', 'three digits are not a column'],
    ['img_s1_w2_t01_z03.tif', 'sites, wavelengths, time points, z-slices'],
    ['T01_Z03_W2.tif', 'rows beyond P in a bare token'],
    ['A00.tif', 'column 0'],
    ['A25.tif', 'column 25 in a bare token'],
    ['Well AG01.tif', 'a row beyond AF'],
    ['Well A49.tif', 'a column beyond 48'],
    ['r00c01f01.tiff', 'row 0 does not exist'],
    ['r2c3f1.tiff', 'Operetta pads to two digits'],
    ['E14.5_embryo.tif', 'a number with a decimal part'],
    ['C1-field.tif', "ImageJ's channel prefix"],
    ['H2B-GFP_field1.tif', 'a protein name'],
    ['A01_B02.tif', 'two different wells'],
    ['field.tif', 'nothing at all'],
    ['', 'an empty name'],
  ])('finds no well in %s (%s)', (fileName) => {
    expect(wellOf(fileName)).toBeNull();
  });
});

describe('plateFormat', () => {
  const wells = (...names: string[]): Well[] =>
    names.map((n) => wellOf(`${n}.tif`) ?? wellOf(`Well ${n}.tif`)!);

  it('takes the smallest plate that holds every well', () => {
    expect(plateFormat(wells('A01', 'H12'))).toEqual({ rows: 8, columns: 12 });
    expect(plateFormat(wells('A01', 'A13'))).toEqual({ rows: 16, columns: 24 });
    expect(plateFormat(wells('I01'))).toEqual({ rows: 16, columns: 24 });
    expect(plateFormat(wells('P24'))).toEqual({ rows: 16, columns: 24 });
    expect(plateFormat(wells('A01', 'A25'))).toEqual({ rows: 32, columns: 48 });
    expect(plateFormat(wells('Q01'))).toEqual({ rows: 32, columns: 48 });
    expect(plateFormat(wells('AF48'))).toEqual({ rows: 32, columns: 48 });
    expect(plateFormat([])).toEqual({ rows: 8, columns: 12 });
  });

  it('refuses wells no plate holds', () => {
    expect(() => plateFormat([{ row: 32, column: 0, name: 'AG01' }])).toThrow(/1536/);
  });
});
