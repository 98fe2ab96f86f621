package worker

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// WebhookSignatureHeader carries a webhook's signature:
//
//	Payoutd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
//
// The HMAC key is Config.WebhookSecret and the message is the decimal
// timestamp, a ".", and the raw body, so a receiver can refuse a replayed
// delivery by its age.
const WebhookSignatureHeader = "Payoutd-Signature"

// ErrWebhookSignature is returned by VerifyWebhook for a missing, malformed,
// wrong or too old signature.
var ErrWebhookSignature = errors.New("webhook signature does not verify")

// SignWebhook returns the WebhookSignatureHeader value for body sent at t.
func SignWebhook(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + webhookMAC(secret, ts, body)
}

// VerifyWebhook checks a WebhookSignatureHeader value against body, in
// constant time, and refuses a signature made more than tolerance away from
// now (0: any age).
func VerifyWebhook(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return ErrWebhookSignature
	}
	if tolerance > 0 && now.Sub(time.Unix(sec, 0)).Abs() > tolerance {
		return ErrWebhookSignature
	}
	if !hmac.Equal([]byte(webhookMAC(secret, ts, body)), []byte(strings.ToLower(sig))) {
		return ErrWebhookSignature
	}
	return nil
}

func webhookMAC(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
