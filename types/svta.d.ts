// @svta's ISO BMFF reader and its utilities ship ESM only, with their types behind an `exports` map that
// the project's node10 module resolution does not read: name the types where they are. Node (and so tsx
// and the local cloud), esbuild and Jest (jest.config.js moduleNameMapper) resolve the packages themselves.
declare module '@svta/cml-iso-bmff' {
  export * from '@svta/cml-iso-bmff/dist/index';
}
declare module '@svta/cml-utils' {
  export * from '@svta/cml-utils/dist/index';
}
