// keypress ships no types; this is the part of its API tune uses.
declare module 'keypress' {
  function keypress(stream: NodeJS.ReadStream): void;
  export default keypress;
}
