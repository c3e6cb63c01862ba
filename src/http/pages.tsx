import { SERVER_NAME } from "../version";
import { Page } from "./layout";

export function MessagePage(props: { title: string; message: string; detail?: string; action?: { href: string; label: string } }) {
  return (
    <Page title={`${props.title} · ${SERVER_NAME}`}>
      <h1>{props.title}</h1>
      <p class="notice">{props.message}</p>
      {props.detail ? <p class="muted">{props.detail}</p> : null}
      {props.action ? (
        <p>
          <a href={props.action.href}>{props.action.label}</a>
        </p>
      ) : null}
    </Page>
  );
}
