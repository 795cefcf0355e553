// Phone sign-in: a country picker, the number formatted as it is typed (libphonenumber-js), then
// the one-time code (pasted whole or typed, spaces and dashes ignored).
import { useSignal } from "@preact/signals";
import {
  AsYouType,
  getCountries,
  getCountryCallingCode,
  isSupportedCountry,
  type CountryCode,
} from "libphonenumber-js";
import { useEffect, useRef } from "preact/hooks";
import { startPhone, verifyPhone } from "../api/auth";
import { describe } from "../api/client";
import "./signin.css";

/** The first region the browser's languages name (en-GB: GB), that phone numbers know. */
function browserRegion(): CountryCode | undefined {
  for (const tag of navigator.languages ?? [navigator.language]) {
    try {
      // Only a region the person's locale states: a bare "en" says nothing about where they live.
      const region = new Intl.Locale(tag).region;
      if (region && isSupportedCountry(region)) return region;
    } catch {
      // A malformed language tag: try the next one.
    }
  }
  return undefined;
}

function serverRegion(region: string | null): CountryCode | undefined {
  return region && isSupportedCountry(region) ? region : undefined;
}

let countries: { code: CountryCode; label: string }[] | undefined;

/** Every country, by its name in the browser's language, with its calling code. */
function countryOptions(): { code: CountryCode; label: string }[] {
  if (countries) return countries;
  const names = new Intl.DisplayNames(navigator.languages ?? [navigator.language], { type: "region" });
  const name = (code: CountryCode) => {
    try {
      return names.of(code) ?? code;
    } catch {
      return code;
    }
  };
  countries = getCountries()
    .map((code) => ({ code, label: `${name(code)} (+${getCountryCallingCode(code)})` }))
    .sort((a, b) => a.label.localeCompare(b.label));
  return countries;
}

function format(value: string, country: CountryCode | undefined): { text: string; country?: CountryCode } {
  const typing = new AsYouType(country);
  const text = typing.input(value);
  return { text, country: typing.getCountry() };
}

export function PhoneSignIn({ defaultRegion }: { defaultRegion: string | null }) {
  const country = useSignal<CountryCode | "">(browserRegion() ?? serverRegion(defaultRegion) ?? "");
  const phone = useSignal("");
  const code = useSignal("");
  const sentTo = useSignal("");
  const error = useSignal("");
  const busy = useSignal(false);
  const phoneInput = useRef<HTMLInputElement>(null);
  const codeInput = useRef<HTMLInputElement>(null);

  // The next thing to type gets the focus: the code once it is sent, the number when going back.
  useEffect(() => {
    if (sentTo.value) codeInput.current?.focus();
  }, [sentTo.value]);

  const typed = (e: InputEvent & { currentTarget: HTMLInputElement }) => {
    const input = e.currentTarget;
    const raw = input.value;
    // Formatting only while typing at the end, never while deleting: reformatting "(415) 5" after
    // a backspace would put back what was just deleted, and a caret mid-number would jump.
    if (e.inputType?.startsWith("delete") || input.selectionStart !== raw.length) {
      phone.value = raw;
      return;
    }
    const formatted = format(raw, country.value || undefined);
    phone.value = formatted.text;
    // A number typed with its +country code moves the picker to its country.
    if (raw.trim().startsWith("+") && formatted.country) country.value = formatted.country;
    // Preact does not rewrite an input whose value it believes unchanged: make sure it shows.
    if (input.value !== formatted.text) input.value = formatted.text;
  };

  const pick = (value: string) => {
    country.value = value as CountryCode | "";
    if (phone.value && !phone.value.trim().startsWith("+")) {
      phone.value = format(phone.value, country.value || undefined).text;
    }
  };

  const send = async (e: Event) => {
    e.preventDefault();
    busy.value = true;
    error.value = "";
    try {
      sentTo.value = (await startPhone(phone.value.trim(), country.value || null)).phone;
      code.value = "";
    } catch (err) {
      error.value = describe(err);
    } finally {
      busy.value = false;
    }
  };

  const verify = async (e: Event) => {
    e.preventDefault();
    busy.value = true;
    error.value = "";
    try {
      await verifyPhone(sentTo.value, code.value);
    } catch (err) {
      error.value = describe(err);
    } finally {
      busy.value = false;
    }
  };

  const another = () => {
    sentTo.value = "";
    error.value = "";
    // After the phone form is back in the page.
    requestAnimationFrame(() => phoneInput.current?.focus());
  };

  return (
    <>
      {!sentTo.value ? (
        <form onSubmit={send} class="phone-signin">
          <label>
            Country
            <select name="country" value={country.value} onChange={(e) => pick(e.currentTarget.value)}>
              <option value="">International (number starts with +)</option>
              {countryOptions().map(({ code: id, label }) => (
                <option key={id} value={id}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Phone number
            <input
              ref={phoneInput}
              type="tel"
              name="phone"
              autoComplete="tel"
              placeholder={country.value ? "" : "+1 415 555 2671"}
              value={phone.value}
              onInput={typed}
              required
            />
          </label>
          <button class="primary" type="submit" disabled={busy.value}>
            Send code
          </button>
        </form>
      ) : (
        <form onSubmit={verify}>
          <p>We sent a code to {sentTo.value}.</p>
          <label>
            Code
            <input
              ref={codeInput}
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              value={code.value}
              // A pasted "123 456" or "123-456" is the code: only its digits count.
              onInput={(e) => {
                code.value = e.currentTarget.value.replace(/\D/g, "");
                if (e.currentTarget.value !== code.value) e.currentTarget.value = code.value;
              }}
              maxLength={16}
              required
            />
          </label>
          <button class="primary" type="submit" disabled={busy.value}>
            Verify and sign in
          </button>
          <button type="button" onClick={another}>
            Use another number
          </button>
        </form>
      )}
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
    </>
  );
}
