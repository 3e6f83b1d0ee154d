// Tuned is the book's chat server (gopl.io/ch8/chat) with the usual answer to
// its slow-client exercise (8.15), the upper reference of `npm run bench`:
//
//   - each client has a buffered queue of lines (-queue, default 1024);
//   - the broadcaster never waits for a client: when a client's queue is full
//     it is disconnected, so one reader that stopped cannot stall the room;
//   - each client's writer sends everything queued so far in one write, so a
//     burst of lines costs one system call, not one per line.
//
// The protocol and the words are the book's.
package main

import (
	"bufio"
	"flag"
	"log"
	"net"
)

type client struct {
	name  string
	conn  net.Conn
	queue chan string
}

type room struct {
	join  chan *client
	part  chan *client
	say   chan string
	limit int
}

func main() {
	addr := flag.String("addr", "localhost:8000", "listen address")
	limit := flag.Int("queue", 1024, "lines queued for one client before it is disconnected")
	flag.Parse()
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	r := &room{join: make(chan *client), part: make(chan *client), say: make(chan string, 1024), limit: *limit}
	go r.broadcast()
	for {
		conn, err := listener.Accept()
		if err != nil {
			log.Print(err)
			continue
		}
		go r.serve(conn)
	}
}

// broadcast owns the set of clients, as the book's broadcaster does.
func (r *room) broadcast() {
	clients := make(map[*client]struct{})
	remove := func(c *client) {
		delete(clients, c)
		close(c.queue) // its writer ends once the queue is empty
		c.conn.Close() // and its reader returns
	}
	for {
		select {
		case line := <-r.say:
			for c := range clients {
				select {
				case c.queue <- line:
				default:
					log.Printf("%s: %d lines queued, disconnecting", c.name, r.limit)
					remove(c)
				}
			}
		case c := <-r.join:
			clients[c] = struct{}{}
		case c := <-r.part:
			if _, ok := clients[c]; ok {
				remove(c)
			}
		}
	}
}

func (r *room) serve(conn net.Conn) {
	c := &client{name: conn.RemoteAddr().String(), conn: conn, queue: make(chan string, r.limit)}
	go c.write()
	c.queue <- "You are " + c.name
	r.say <- c.name + " has arrived"
	r.join <- c
	input := bufio.NewScanner(conn)
	for input.Scan() {
		r.say <- c.name + ": " + input.Text()
	}
	r.part <- c
	r.say <- c.name + " has left"
	conn.Close()
}

// write sends whatever is queued in one write: it blocks for the first line,
// then takes the lines already waiting without blocking, up to 64 KiB.
func (c *client) write() {
	const most = 64 * 1024
	batch := make([]byte, 0, most)
	failed := false
	for line := range c.queue {
		batch = append(batch[:0], line...)
		batch = append(batch, '\n')
	more:
		for len(batch) < most {
			select {
			case next, ok := <-c.queue:
				if !ok {
					break more
				}
				batch = append(batch, next...)
				batch = append(batch, '\n')
			default:
				break more
			}
		}
		if failed {
			continue // drain until the broadcaster closes the queue
		}
		if _, err := c.conn.Write(batch); err != nil {
			failed = true
			c.conn.Close()
		}
	}
}
