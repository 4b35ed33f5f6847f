package dev.pinwarden;

import java.util.HashSet;
import java.util.Set;

import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;
import org.json.JSONTokener;

/**
 * Strict RFC 8259 JSON, checked before org.json reads it: Android's org.json is lenient
 * (comments, single quotes, unquoted names, duplicate keys overwriting), and a signed payload
 * must read the same here as in the Rust client (serde_json), or be refused. Duplicate names are
 * refused; nesting is limited to 128 as in serde_json.
 */
final class StrictJson {
    private final String s;
    private int i;

    private StrictJson(String s) {
        this.s = s;
    }

    /** The document as an org.json object; throws with a reason when it isn't strict JSON. */
    static JSONObject object(String text) throws JSONException {
        new StrictJson(text).document();
        Object value = new JSONTokener(text).nextValue();
        if (!(value instanceof JSONObject)) throw new JSONException("not a JSON object");
        return (JSONObject) value;
    }

    private void document() throws JSONException {
        ws();
        value(0);
        ws();
        if (i != s.length()) fail("trailing characters");
    }

    private JSONException fail(String why) throws JSONException {
        throw new JSONException(why + " at character " + i);
    }

    private void ws() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') i++;
            else break;
        }
    }

    private char peek() throws JSONException {
        if (i >= s.length()) fail("unexpected end");
        return s.charAt(i);
    }

    private void value(int depth) throws JSONException {
        if (depth > 128) fail("nested too deeply");
        char c = peek();
        switch (c) {
            case '{': object(depth); break;
            case '[': array(depth); break;
            case '"': string(); break;
            case 't': literal("true"); break;
            case 'f': literal("false"); break;
            case 'n': literal("null"); break;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) number();
                else fail("unexpected character");
        }
    }

    private void literal(String word) throws JSONException {
        if (!s.startsWith(word, i)) fail("bad literal");
        i += word.length();
    }

    private void number() throws JSONException {
        if (s.charAt(i) == '-') i++;
        if (peek() == '0') {
            i++;
        } else if (peek() >= '1' && peek() <= '9') {
            while (i < s.length() && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) i++;
        } else {
            fail("bad number");
        }
        if (i < s.length() && s.charAt(i) == '.') {
            i++;
            digits();
        }
        if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
            digits();
        }
    }

    private void digits() throws JSONException {
        int start = i;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
        if (i == start) fail("bad number");
    }

    private String string() throws JSONException {
        i++; // opening quote
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = peek();
            i++;
            if (c == '"') return out.toString();
            if (c < 0x20) fail("control character in a string");
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = peek();
            i++;
            switch (e) {
                case '"': case '\\': case '/': out.append(e); break;
                case 'b': out.append('\b'); break;
                case 'f': out.append('\f'); break;
                case 'n': out.append('\n'); break;
                case 'r': out.append('\r'); break;
                case 't': out.append('\t'); break;
                case 'u': {
                    char u = hex4();
                    if (Character.isHighSurrogate(u)) {
                        if (!s.startsWith("\\u", i)) fail("lone leading surrogate");
                        i += 2;
                        char low = hex4();
                        if (!Character.isLowSurrogate(low)) fail("unpaired surrogate");
                        out.append(u).append(low);
                    } else if (Character.isLowSurrogate(u)) {
                        fail("lone trailing surrogate");
                    } else {
                        out.append(u);
                    }
                    break;
                }
                default: fail("bad escape");
            }
        }
    }

    private char hex4() throws JSONException {
        if (i + 4 > s.length()) fail("bad \\u escape");
        int v = 0;
        for (int k = 0; k < 4; k++) {
            int d = Character.digit(s.charAt(i + k), 16);
            if (d < 0 || s.charAt(i + k) > 127) fail("bad \\u escape");
            v = v * 16 + d;
        }
        i += 4;
        return (char) v;
    }

    private void object(int depth) throws JSONException {
        i++;
        ws();
        Set<String> names = new HashSet<String>();
        if (peek() == '}') {
            i++;
            return;
        }
        while (true) {
            ws();
            if (peek() != '"') fail("expected a name");
            String name = string();
            if (!names.add(name)) fail("duplicate field \"" + name + "\"");
            ws();
            if (peek() != ':') fail("expected ':'");
            i++;
            ws();
            value(depth + 1);
            ws();
            char c = peek();
            i++;
            if (c == '}') return;
            if (c != ',') fail("expected ',' or '}'");
        }
    }

    private void array(int depth) throws JSONException {
        i++;
        ws();
        if (peek() == ']') {
            i++;
            return;
        }
        while (true) {
            ws();
            value(depth + 1);
            ws();
            char c = peek();
            i++;
            if (c == ']') return;
            if (c != ',') fail("expected ',' or ']'");
        }
    }

    // Typed reads, as serde reads them.

    static String string(JSONObject o, String name, boolean required) throws JSONException {
        if (!o.has(name) || o.isNull(name)) {
            if (required) throw new JSONException("missing field `" + name + "`");
            return null;
        }
        Object v = o.get(name);
        if (!(v instanceof String)) throw new JSONException(name + ": expected a string");
        return (String) v;
    }

    /** A non-negative integer (serde's unsigned types); null when absent and optional. */
    static Long unsigned(JSONObject o, String name, boolean required) throws JSONException {
        if (!o.has(name)) {
            if (required) throw new JSONException("missing field `" + name + "`");
            return null;
        }
        Object v = o.get(name);
        if (v instanceof Integer || v instanceof Long) {
            long n = ((Number) v).longValue();
            if (n < 0) throw new JSONException(name + ": invalid value " + n + ", expected a non-negative integer");
            return n;
        }
        if (v instanceof Double) {
            double d = (Double) v;
            // An integer beyond a long: larger than any version or percentage allows.
            if (d == Math.rint(d) && d >= 9.2e18 && d < 1.8446744073709552e19) return Long.MAX_VALUE;
        }
        throw new JSONException(name + ": expected an integer");
    }

    static boolean bool(JSONObject o, String name, Boolean absent) throws JSONException {
        if (!o.has(name)) {
            if (absent == null) throw new JSONException("missing field `" + name + "`");
            return absent;
        }
        Object v = o.get(name);
        if (!(v instanceof Boolean)) throw new JSONException(name + ": expected a boolean");
        return (Boolean) v;
    }

    static JSONArray array(JSONObject o, String name) throws JSONException {
        if (!o.has(name)) throw new JSONException("missing field `" + name + "`");
        Object v = o.get(name);
        if (!(v instanceof JSONArray)) throw new JSONException(name + ": expected a list");
        return (JSONArray) v;
    }

    static void onlyFields(JSONObject o, String what, String... allowed) throws JSONException {
        java.util.Iterator<String> keys = o.keys();
        while (keys.hasNext()) {
            String k = keys.next();
            boolean ok = false;
            for (String a : allowed) ok |= a.equals(k);
            if (!ok) throw new JSONException(what + ": unknown field `" + k + "`");
        }
    }
}
