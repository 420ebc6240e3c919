export * from './public-url';
