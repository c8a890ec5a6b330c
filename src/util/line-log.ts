/** The four log levels the daemons (builder, kojira) write lines at, whatever the logger behind. */
export interface LineLog {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}
