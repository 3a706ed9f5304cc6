// POST /api-keys with Go's net/http and encoding/json, the way a team writes it.
//
//	go run . --port 0 --tokens good --forbidden ro [--defect NAME]
//
// encoding/json is lenient in two ways the contract is not: it matches object keys to
// struct fields case-insensitively ({"NAME": "x"} fills the field tagged "name"), and it
// replaces invalid UTF-8 inside strings with U+FFFD. The conforming twin refuses a body
// that is not valid UTF-8 before decoding and decodes into a map, whose keys are exact;
// each --defect puts back the shortcut teams really ship (see defects).
package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"unicode/utf8"
)

const maxLength = 100
const maxBodyBytes = 8 << 20

var defects = map[string]string{
	"case-insensitive-fields": `json.Unmarshal into struct{Name *string "json:\"name\""}: {"NAME": "x"} is a name`,
	"replace-invalid-utf8":    "no utf8.Valid check: encoding/json turns invalid bytes into U+FFFD",
}

// ECMA-262's \s: the contract's \S+ needs one character outside it (Go's \s is ASCII only).
var ecmaWhitespace = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008" +
	"\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"

var bearer = regexp.MustCompile(`(?i)^\s*bearer +(\S+)\s*$`)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, strings.Split(v, ",")...); return nil }

type config struct {
	tokens, forbidden map[string]bool
	defects           map[string]bool
}

type apiError struct {
	status        int
	code, message string
}

type request struct {
	Name *string `json:"name"`
}

func set(values list) map[string]bool {
	out := map[string]bool{}
	for _, v := range values {
		if v != "" {
			out[v] = true
		}
	}
	return out
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func secret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func send(w http.ResponseWriter, status int, document any) {
	body, _ := json.Marshal(document)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", newID())
	w.WriteHeader(status)
	w.Write(body)
}

func authenticate(r *http.Request, c config) *apiError {
	match := bearer.FindStringSubmatch(r.Header.Get("Authorization"))
	if match == nil {
		return &apiError{401, "invalid_token", "Missing bearer token in the Authorization header."}
	}
	if c.forbidden[match[1]] {
		return &apiError{403, "permission_denied", "This token may not create API keys."}
	}
	if !c.tokens[match[1]] {
		return &apiError{401, "invalid_token", "The access token is invalid or expired."}
	}
	return nil
}

func readName(body []byte, c config) (string, *apiError) {
	malformed := &apiError{400, "malformed_json", "Request body is not valid UTF-8 JSON."}
	if !c.defects["replace-invalid-utf8"] && !utf8.Valid(body) {
		return "", malformed
	}
	invalid := &apiError{400, "invalid_request", "name is required: a string of 1 to 100 characters, not blank."}
	var name any
	if c.defects["case-insensitive-fields"] {
		var document request
		if err := json.Unmarshal(body, &document); err != nil {
			if _, ok := err.(*json.UnmarshalTypeError); ok {
				return "", invalid
			}
			return "", malformed
		}
		if document.Name == nil {
			return "", invalid
		}
		name = *document.Name
	} else {
		var document any
		if err := json.Unmarshal(body, &document); err != nil {
			return "", malformed
		}
		object, ok := document.(map[string]any)
		if !ok {
			return "", invalid
		}
		name = object["name"]
	}
	text, ok := name.(string)
	length := utf8.RuneCountInString(text)
	if !ok || length < 1 || length > maxLength || strings.Trim(text, ecmaWhitespace) == "" {
		return "", invalid
	}
	return text, nil
}

func handler(c config) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api-keys" {
			send(w, 404, map[string]string{"code": "not_found", "message": "No such resource."})
			return
		}
		if r.Method != http.MethodPost {
			send(w, 405, map[string]string{"code": "method_not_allowed", "message": "Use POST."})
			return
		}
		if failure := authenticate(r, c); failure != nil {
			send(w, failure.status, map[string]string{"code": failure.code, "message": failure.message})
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
		if err != nil || len(body) > maxBodyBytes {
			send(w, 400, map[string]string{"code": "body_too_large", "message": "The request body is too large."})
			return
		}
		mediaType := strings.ToLower(strings.TrimSpace(strings.Split(r.Header.Get("Content-Type"), ";")[0]))
		if mediaType != "application/json" {
			send(w, 400, map[string]string{"code": "unsupported_media_type", "message": "Content-Type must be application/json."})
			return
		}
		name, failure := readName(body, c)
		if failure != nil {
			send(w, failure.status, map[string]string{"code": failure.code, "message": failure.message})
			return
		}
		send(w, 201, map[string]string{"name": name, "clientId": newID(), "clientSecret": secret()})
	}
}

func main() {
	var tokens, forbidden, chosen list
	port := flag.Int("port", 8000, "port (0: any free port)")
	flag.Var(&tokens, "tokens", "comma-separated tokens that may create keys")
	flag.Var(&forbidden, "forbidden", "comma-separated tokens without permission")
	flag.Var(&chosen, "defect", "a defect to switch on")
	flag.Parse()
	c := config{set(tokens), set(forbidden), set(chosen)}
	for name := range c.defects {
		if _, ok := defects[name]; !ok {
			fmt.Fprintf(os.Stderr, "unknown defect %s\n", name)
			os.Exit(2)
		}
	}
	listener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on http://%s\n", listener.Addr())
	http.Serve(listener, handler(c))
}
