package sign

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestFanOut(t *testing.T) {
	data := make([]byte, 3*teeChunkSize+12345)
	newXorshift(3).Read(data)

	t.Run("both see everything", func(t *testing.T) {
		var side bytes.Buffer
		var got []byte
		err := fanOut(context.Background(), bytes.NewReader(data), func(r io.Reader) error {
			// Stops early, like a digest that knows where the image ends.
			b := make([]byte, 1000)
			_, err := io.ReadFull(r, b)
			got = b
			return err
		}, func(p []byte) error { side.Write(p); return nil })
		if err != nil || !bytes.Equal(side.Bytes(), data) || !bytes.Equal(got, data[:1000]) {
			t.Fatalf("err %v, side %d bytes", err, side.Len())
		}
	})
	t.Run("consumer error", func(t *testing.T) {
		boom := errors.New("boom")
		err := fanOut(context.Background(), bytes.NewReader(data), func(io.Reader) error { return boom },
			func([]byte) error { return nil })
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("side error", func(t *testing.T) {
		boom := errors.New("disk full")
		err := fanOut(context.Background(), bytes.NewReader(data), func(r io.Reader) error {
			_, err := io.Copy(io.Discard, r)
			return err
		}, func([]byte) error { return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("io error")
		src := io.MultiReader(bytes.NewReader(data[:teeChunkSize+5]), iotest.ErrReader(boom))
		err := fanOut(context.Background(), src, func(r io.Reader) error {
			_, err := io.Copy(io.Discard, r)
			return err
		}, func([]byte) error { return nil })
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := fanOut(ctx, bytes.NewReader(data), func(r io.Reader) error {
			_, err := io.Copy(io.Discard, r)
			return err
		}, func([]byte) error { return nil })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	})
}
