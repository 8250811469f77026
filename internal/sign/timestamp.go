package sign

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sassoftware/relic/v8/lib/pkcs7"
	"github.com/sassoftware/relic/v8/lib/pkcs9"
)

// Timestamper is an RFC 3161 client over several timestamp authorities. It
// tries each URL in order, each up to Attempts times, and uses the first
// token that answers the request. It implements relic's pkcs9.Timestamper.
//
// relic's own lib/pkcs9/tsclient is not used because it pulls in Prometheus
// and relic's server configuration.
type Timestamper struct {
	URLs []string
	// Attempts per URL; 0 means 2. Only transport errors and 5xx answers are
	// retried on the same URL; anything else moves on to the next one.
	Attempts int
	// RetryDelay is the pause before retrying the same URL; 0 means 500ms.
	RetryDelay time.Duration
	// Client defaults to an http.Client with a 30 s timeout.
	Client *http.Client
}

var _ pkcs9.Timestamper = (*Timestamper)(nil)

// TimestampError lists why every timestamp authority failed.
type TimestampError struct {
	Failures []URLFailure
}

// URLFailure is the last error one timestamp authority gave.
type URLFailure struct {
	URL string
	Err error
}

func (e *TimestampError) Error() string {
	if len(e.Failures) == 0 {
		return "timestamp: no timestamp authority configured"
	}
	parts := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		parts[i] = fmt.Sprintf("%s: %v", f.URL, f.Err)
	}
	return fmt.Sprintf("timestamp: all %d authorities failed: %s", len(e.Failures), strings.Join(parts, "; "))
}

func (e *TimestampError) Unwrap() []error {
	errs := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		errs[i] = f.Err
	}
	return errs
}

// errRetry marks a failure worth retrying on the same URL.
type errRetry struct{ error }

func (e errRetry) Unwrap() error { return e.error }

// Timestamp asks for a token over the signature value in req.
func (t *Timestamper) Timestamp(ctx context.Context, req *pkcs9.Request) (*pkcs7.ContentInfoSignedData, error) {
	if req.Legacy {
		return nil, errors.New("timestamp: legacy (non-RFC 3161) timestamps are not supported")
	}
	attempts := t.Attempts
	if attempts <= 0 {
		attempts = 2
	}
	delay := t.RetryDelay
	if delay <= 0 {
		delay = 500 * time.Millisecond
	}
	client := t.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	tsErr := &TimestampError{}
	for _, url := range t.URLs {
		var err error
		for try := 0; try < attempts; try++ {
			if try > 0 {
				select {
				case <-time.After(delay):
				case <-ctx.Done():
					return nil, fmt.Errorf("timestamp: %w", ctx.Err())
				}
			}
			var token *pkcs7.ContentInfoSignedData
			token, err = t.once(ctx, client, url, req)
			if err == nil {
				return token, nil
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("timestamp: %w", ctx.Err())
			}
			if !errors.As(err, new(errRetry)) {
				break
			}
		}
		tsErr.Failures = append(tsErr.Failures, URLFailure{URL: url, Err: err})
	}
	return nil, tsErr
}

func (t *Timestamper) once(ctx context.Context, client *http.Client, url string, req *pkcs9.Request) (*pkcs7.ContentInfoSignedData, error) {
	// The token covers the hash of the signature value (RFC 3161 as used by
	// Authenticode).
	h := req.Hash.New()
	h.Write(req.EncryptedDigest)
	msg, httpReq, err := pkcs9.NewRequest(url, req.Hash, h.Sum(nil))
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(httpReq.WithContext(ctx))
	if err != nil {
		return nil, errRetry{err}
	}
	defer resp.Body.Close()
	// A token is a few KB; a limit keeps a misbehaving server from
	// exhausting memory.
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, errRetry{err}
	}
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("http status %s", resp.Status)
		if resp.StatusCode >= 500 {
			return nil, errRetry{err}
		}
		return nil, err
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/timestamp-reply") {
		return nil, fmt.Errorf("unexpected content type %q", ct)
	}
	token, err := msg.ParseResponse(body)
	if err != nil {
		return nil, err
	}
	return token, nil
}
