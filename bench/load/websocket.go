package main

// A WebSocket client as a net.Conn, so every scenario can play browsers as well as nc users: what the server
// sends is the frames' payloads as one stream of bytes (lines may cross frames), and each Write is one masked
// text frame. Only what a chat server's /ws needs: no extensions, no fragmented frames sent; pings are answered.

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
)

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

type wsConn struct {
	net.Conn
	in      *bufio.Reader
	left    int // payload bytes of the current data frame not yet read
	writeMu sync.Mutex
}

// upgrade performs the opening handshake on conn for path (with no Origin, as a program that is not a browser).
func upgrade(conn net.Conn, host, path string) (net.Conn, error) {
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, err
	}
	key := base64.StdEncoding.EncodeToString(nonce[:])
	request := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", path, host, key)
	if _, err := io.WriteString(conn, request); err != nil {
		return nil, err
	}
	in := bufio.NewReaderSize(conn, 64*1024)
	response, err := http.ReadResponse(in, nil)
	if err != nil {
		return nil, err
	}
	response.Body.Close()
	sum := sha1.Sum([]byte(key + wsGUID))
	if response.StatusCode != http.StatusSwitchingProtocols || response.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		return nil, fmt.Errorf("websocket upgrade of %s refused: %s", path, response.Status)
	}
	return &wsConn{Conn: conn, in: in}, nil
}

// Read returns payload bytes of data frames, in order; control frames are handled on the way.
func (c *wsConn) Read(b []byte) (int, error) {
	for c.left == 0 {
		var head [2]byte
		if _, err := io.ReadFull(c.in, head[:]); err != nil {
			return 0, err
		}
		opcode := head[0] & 0x0f
		length := int64(head[1] & 0x7f)
		switch length {
		case 126:
			var ext [2]byte
			if _, err := io.ReadFull(c.in, ext[:]); err != nil {
				return 0, err
			}
			length = int64(binary.BigEndian.Uint16(ext[:]))
		case 127:
			var ext [8]byte
			if _, err := io.ReadFull(c.in, ext[:]); err != nil {
				return 0, err
			}
			length = int64(binary.BigEndian.Uint64(ext[:]))
		}
		if head[1]&0x80 != 0 {
			return 0, errors.New("websocket: the server masked a frame")
		}
		switch opcode {
		case 0x0, 0x1, 0x2: // continuation, text, binary: all one stream
			c.left = int(length)
		case 0x8:
			return 0, io.EOF
		case 0x9, 0xa:
			payload := make([]byte, length)
			if _, err := io.ReadFull(c.in, payload); err != nil {
				return 0, err
			}
			if opcode == 0x9 {
				c.frame(0xa, payload)
			}
		default:
			return 0, fmt.Errorf("websocket: unknown opcode %d", opcode)
		}
	}
	if len(b) > c.left {
		b = b[:c.left]
	}
	n, err := c.in.Read(b)
	c.left -= n
	return n, err
}

// Write sends b as one text frame.
func (c *wsConn) Write(b []byte) (int, error) {
	if err := c.frame(0x1, b); err != nil {
		return 0, err
	}
	return len(b), nil
}

// frame writes one masked frame (a client must mask): the header and the masked payload in one write.
func (c *wsConn) frame(opcode byte, payload []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	out := make([]byte, 0, len(payload)+14)
	out = append(out, 0x80|opcode)
	switch n := len(payload); {
	case n < 126:
		out = append(out, 0x80|byte(n))
	case n < 1<<16:
		out = append(out, 0x80|126, byte(n>>8), byte(n))
	default:
		out = append(out, 0x80|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	var mask [4]byte
	if _, err := rand.Read(mask[:]); err != nil {
		return err
	}
	out = append(out, mask[:]...)
	for i, b := range payload {
		out = append(out, b^mask[i&3])
	}
	_, err := c.Conn.Write(out)
	return err
}

// wsPath is the path of -ws without its scheme and host, "" when the crowd speaks plain TCP.
func wsPath(flag string) string {
	if flag == "" || strings.HasPrefix(flag, "/") {
		return flag
	}
	return "/" + flag
}
