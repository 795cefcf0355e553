import { render } from "preact";
import { api, unwrap } from "./api/client";
import { loadUser } from "./api/auth";
import { App } from "./App";
import { languages } from "./state";
import "./styles.css";

void loadUser();
void unwrap(api.GET("/v1/languages")).then((list) => (languages.value = list));
render(<App />, document.getElementById("app")!);
