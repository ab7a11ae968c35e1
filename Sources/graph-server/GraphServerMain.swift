import ArgumentParser
import Foundation
import GraphDatabase
import GraphServerCore
import Logging

/// Start-up: parse and check the settings, bootstrap metrics, recover the
/// database, serve until a shutdown signal. Every refusal is one line on
/// stderr and a non-zero exit status, never a stack trace.
@main
enum GraphServerMain {
    static func main() async {
        let command: GraphServerCommand
        do {
            command = try GraphServerCommand.parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            if GraphServerCommand.exitCode(for: error) == .success { GraphServerCommand.exit(withError: error) }
            fail(GraphServerCommand.message(for: error), status: 64)
        }

        let configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration.resolve(command.flags, environment: ProcessInfoEnvironment.current)
        } catch {
            fail(error.message, status: 64)
        }
        do {
            try configuration.preparePaths()
        } catch {
            fail(error.message, status: 1)
        }

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "graph-server")
        // Before any thread starts building the graph: see ProcessHeap.
        logger.info("heap: \(ProcessHeap.growInLargeSteps())")
        for warning in configuration.exposureWarnings { logger.warning("\(warning)") }
        // Before the database opens: the log creates its metrics when it opens.
        let metrics = ServerMetrics.bootstrapPrometheus()

        // A read replica opens no database of its own until it is promoted.
        let replica: ServerReplica?
        do {
            replica = try ServerReplica.make(for: configuration, logger: logger)
        } catch {
            fail(error.message, status: 64)
        }
        if let replica {
            await serve(GraphServer(replica: replica, configuration: configuration, metrics: metrics), configuration, logger)
            return
        }

        // Before the database opens: its truncation fence reads the archive's progress.
        let archive: ServerArchive?
        do {
            archive = try ServerArchive.make(for: configuration, logger: logger)
        } catch {
            fail(error.message, status: 64)
        }

        let database: GraphDatabase
        do {
            let opened = try GraphDatabase.open(configuration.databaseConfiguration(logger: logger, archive: archive))
            database = opened.database
            let report = opened.recovery
            ServerMetrics.recordRecovery(report)
            logger.info(
                "recovered the graph",
                metadata: [
                    "snapshot": "\(report.snapshotPath ?? "none")", "snapshotLSN": "\(report.snapshotLSN)",
                    "transactionsReplayed": "\(report.transactionsReplayed)", "eventsReplayed": "\(report.eventsReplayed)",
                    "tornTail": "\(report.wal?.tornTail.map { "cut at \($0.path):\($0.offset)" } ?? "none")",
                    "duration": "\(report.duration)",
                ])
        } catch {
            fail("cannot open the database: \(error)", status: 1)
        }

        await serve(GraphServer(database: database, configuration: configuration, metrics: metrics, archive: archive), configuration, logger)
    }

    static func serve(_ server: GraphServer, _ configuration: ServerConfiguration, _ logger: Logger) async {
        do {
            try await server.run(logger: logger) { host, port in
                // One plain line on stdout, so scripts and tests can find a port chosen with --port 0.
                let scheme = configuration.tls == nil ? "http" : "https"
                FileHandle.standardOutput.write(Data("graph-server listening on \(scheme)://\(host):\(port)\n".utf8))
            }
        } catch {
            try? server.database.close()
            fail("cannot serve on \(configuration.host):\(configuration.port): \(error)", status: 1)
        }
        logger.info("graph-server stopped")
    }

    static func fail(_ message: String, status: Int32) -> Never {
        let line = "graph-server: " + message.replacingOccurrences(of: "\n", with: " ") + "\n"
        FileHandle.standardError.write(Data(line.utf8))
        exit(status)
    }
}
