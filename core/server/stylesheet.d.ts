// Stylesheets are imported as text (`with { type: "text" }`): their contents, a string.
declare module "*.css" {
  const text: string;
  export default text;
}
