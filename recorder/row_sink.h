// RowSink: where a connection's recorder sends the rows it makes. The CassetteWriter is the
// real one (WriterRowSink below adapts it); tests use an in-memory sink.
//
// Implementations are called on the relay's service thread and must not block or do disk
// I/O. AddFrame returns false when the sink is over its high mark: the row is kept, and the
// caller should stop reading its peers until the sink drains ("backpressure as a value").
#pragma once

#include "cassettes/model.h"
#include "cassettes/writer.h"

namespace wsr::recorder {

class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void OpenConnection(const cassette::Connection& c) = 0;
  virtual void UpdateConnection(const cassette::Connection& c) = 0;
  virtual bool AddFrame(cassette::Frame f) = 0;
  // An HTTP exchange of the session (the REST half); false as for AddFrame.
  virtual bool AddExchange(cassette::Exchange e) = 0;
};

// Forwards to a CassetteWriter (which queues; the writer thread does the disk I/O).
class WriterRowSink : public RowSink {
 public:
  explicit WriterRowSink(cassette::CassetteWriter* writer) : writer_(writer) {}
  void OpenConnection(const cassette::Connection& c) override { writer_->OpenConnection(c); }
  void UpdateConnection(const cassette::Connection& c) override { writer_->UpdateConnection(c); }
  bool AddFrame(cassette::Frame f) override { return writer_->AddFrame(std::move(f)); }
  bool AddExchange(cassette::Exchange e) override { return writer_->AddExchange(std::move(e)); }

 private:
  cassette::CassetteWriter* writer_;  // not owned
};

}  // namespace wsr::recorder
