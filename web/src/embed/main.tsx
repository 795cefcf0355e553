// The embeddable snippet widget (/embed/<share token>, embed.html): a page of its own, framed by
// other sites, with none of the app's shell, sign-in or storage.
import { render } from "preact";
import { EmbedPage } from "./EmbedPage";
import "../styles.css";
import "./embed.css";

render(<EmbedPage />, document.getElementById("embed")!);
