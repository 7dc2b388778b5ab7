import { runDemo } from './demo.js';

await runDemo(process.env.PALISADE_DEMO_DB ?? './.palisade/demo/palisade.db');
