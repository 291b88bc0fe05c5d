import AnalyzeAPI
import ArgumentParser
import PlatformRules

/// `--page`, `--page-limit` and `--all` of the list commands, fetching and printing a list the
/// same way everywhere: JSON is `{"data", "page_info"}` for one page and for `--all` (where
/// `page_info` describes the one page that holds everything); a `--page` past the end exits 1.
struct PagingOptions: ParsableArguments {
    @Option(help: "Page to show, from 1.")
    var page: Int = 1

    @Option(name: .customLong("page-limit"), help: "Items per page (the platform's page_limit).")
    var pageLimit: Int = PlatformRules.current.defaultPageLimit

    @Flag(help: "Fetch every page.")
    var all = false

    func validate() throws {
        let allowed = PlatformRules.current.pageLimit
        guard page >= 1 else { throw ValidationError("--page must be 1 or more.") }
        guard allowed.contains(pageLimit) else {
            throw ValidationError("--page-limit must be between \(allowed.lowerBound) and \(allowed.upperBound).")
        }
        if all && page != 1 { throw ValidationError("--all and --page cannot be combined.") }
    }

    /// The page asked for, or with `--all` every page as one.
    func fetch<Item>(_ fetchPage: (_ page: Int, _ limit: Int) async throws -> Page<Item>) async throws -> Page<Item> {
        all ? try await Self.fetchAll(limit: pageLimit, fetchPage) : try await fetchPage(page, pageLimit)
    }

    /// Every page, as one: until a page is empty or the last one `page_info` names.
    static func fetchAll<Item>(
        limit: Int = PlatformRules.current.pageLimit.upperBound, _ fetchPage: (_ page: Int, _ limit: Int) async throws -> Page<Item>
    ) async throws -> Page<Item> {
        var items: [Item] = []
        var number = 1
        while true {
            let page = try await fetchPage(number, limit)
            items += page.data
            if page.data.isEmpty || number >= page.pageInfo.totalPage { break }
            number += 1
        }
        return Page(data: items, pageInfo: .single(count: items.count))
    }

    /// Prints `list` (a table from `render` in text, then "page 1 of 2, 12 tasks"), and returns the
    /// exit status: 1 when `--page` is past the last page.
    func print<Item: Encodable>(_ list: Page<Item>, noun: String, format: OutputFormat, render: ([Item]) -> String) throws -> Int32 {
        let info = list.pageInfo
        if format == .jsonl {
            for item in list.data { CLI.printJSON(item, format: .jsonl) }
        } else if format.isJSON {
            CLI.printJSON(JSONValue.object(["data": try SubmitOutput.json(list.data), "page_info": try SubmitOutput.json(info)]))
        } else if !list.data.isEmpty {
            CLI.out(render(list.data))
        }
        let plural = noun.hasSuffix("ch") || noun.hasSuffix("s") ? noun + "es" : noun + "s"
        let count = "\(info.totalResults) \(info.totalResults == 1 ? noun : plural)"
        if !all, page > 1, page > info.totalPage {
            CLI.err("error: page \(page) is past the last page (\(info.totalPage), \(count) at \(pageLimit) a page)")
            return 1
        }
        if format == .text { CLI.out(all ? count : "page \(info.page) of \(max(info.totalPage, 1)), \(count)") }
        return 0
    }
}
