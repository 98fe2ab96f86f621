package worker

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers (https://www.standardwebhooks.com) every
// webhook carries.
const (
	// WebhookIDHeader carries the event's id: the same on every attempt and
	// resend of one event, so a receiver can drop a duplicate.
	WebhookIDHeader = "webhook-id"
	// WebhookTimestampHeader carries the attempt's time in Unix seconds.
	WebhookTimestampHeader = "webhook-timestamp"
	// WebhookSignatureHeader carries "v1,<base64 HMAC-SHA256>" of
	// "<id>.<timestamp>.<body>" for each secret, space-separated.
	WebhookSignatureHeader = "webhook-signature"
)

// webhookSecretPrefix starts a secret in the Standard Webhooks form
// "whsec_<base64 key>".
const webhookSecretPrefix = "whsec_"

// maxWebhookSecrets is how many secrets may sign at once: the current one
// and, during a rotation, the next.
const maxWebhookSecrets = 2

// ErrWebhookSignature is returned by VerifyWebhook for missing headers, a
// malformed, wrong or too old signature.
var ErrWebhookSignature = errors.New("webhook signature does not verify")

// webhookKey decodes a "whsec_<base64>" secret into its HMAC key.
func webhookKey(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, webhookSecretPrefix)
	if !ok {
		return nil, errors.New("must start with " + webhookSecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) == 0 {
		return nil, errors.New("must be " + webhookSecretPrefix + " and a standard base64 key")
	}
	return key, nil
}

// ValidateWebhookSecret checks that secret has the Standard Webhooks form
// "whsec_<base64 key>". Its error never quotes the secret.
func ValidateWebhookSecret(secret string) error {
	_, err := webhookKey(secret)
	return err
}

// checkWebhookSecrets checks Config.WebhookSecrets; its errors never quote
// a secret.
func checkWebhookSecrets(secrets []string) error {
	if len(secrets) > maxWebhookSecrets {
		return fmt.Errorf("worker: Config.WebhookSecrets: at most %d (the current and the next, during a rotation)", maxWebhookSecrets)
	}
	for i, s := range secrets {
		if _, err := webhookKey(s); err != nil {
			return fmt.Errorf("worker: Config.WebhookSecrets[%d]: %v", i, err)
		}
	}
	return nil
}

// SignWebhook returns the WebhookSignatureHeader value of a delivery of
// body with id at t: one "v1,<signature>" per secret, space-separated. The
// secrets must be valid (see Config.WebhookSecrets); an invalid one is
// skipped.
func SignWebhook(secrets []string, id string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		if key, err := webhookKey(s); err == nil {
			sigs = append(sigs, "v1,"+webhookMAC(key, id, ts, body))
		}
	}
	return strings.Join(sigs, " ")
}

// VerifyWebhook checks a delivery's Standard Webhooks headers against body
// with secret (in "whsec_<base64>" form), in constant time, and refuses a
// timestamp more than tolerance away from now (0: any age). It accepts the
// delivery when any of its v1 signatures matches. Receivers in other
// languages use their Standard Webhooks library instead.
func VerifyWebhook(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := webhookKey(secret)
	id, ts := h.Get(WebhookIDHeader), h.Get(WebhookTimestampHeader)
	sec, terr := strconv.ParseInt(ts, 10, 64)
	if err != nil || id == "" || terr != nil {
		return ErrWebhookSignature
	}
	if tolerance > 0 && now.Sub(time.Unix(sec, 0)).Abs() > tolerance {
		return ErrWebhookSignature
	}
	want := []byte(webhookMAC(key, id, ts, body))
	for _, sig := range strings.Fields(h.Get(WebhookSignatureHeader)) {
		v, mac, _ := strings.Cut(sig, ",")
		if v == "v1" && hmac.Equal([]byte(mac), want) {
			return nil
		}
	}
	return ErrWebhookSignature
}

// webhookMAC is the base64 HMAC-SHA256 of "<id>.<ts>.<body>".
func webhookMAC(key []byte, id, ts string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
