// Converts the countries of the world-countries npm package (ODbL-1.0, by Mohammed Le Doze)
// into examples/countries.ddstore.json, keyed by the ISO 3166-1 alpha-3 code.
// Run from the repository root: node examples/convert-world-countries.mjs
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const countries = require('world-countries');
const { version } = require('world-countries/package.json');

const items = countries
  .map((country) => ({
    code: country.cca3,
    cca2: country.cca2,
    name: country.name.common,
    officialName: country.name.official,
    capital: country.capital ?? [],
    region: country.region,
    subregion: country.subregion || null,
    languages: country.languages ?? {},
    currencies: Object.keys(country.currencies ?? {}),
    latlng: country.latlng,
    areaKm2: country.area,
    landlocked: country.landlocked,
    independent: country.independent ?? null,
    unMember: country.unMember,
    borders: country.borders ?? [],
    flag: country.flag,
  }))
  .sort((a, b) => a.code.localeCompare(b.code));

const file = {
  $schema: '../media/ddstore.schema.json',
  primaryKey: 'code',
  conflictMode: 'fail_on_conflict',
  items,
};
writeFileSync(new URL('./countries.ddstore.json', import.meta.url), JSON.stringify(file, null, 2) + '\n');
console.log(`wrote ${items.length} countries from world-countries ${version}`);
