using System.CommandLine;
using LlmServe.AllInOne.Generate;
using LlmServe.AllInOne.Serve;
using LlmServe.Cuda.Backend;

// The CUDA backend is available to `generate --device cuda` (workers pick their device themselves).
CudaBackend.Register();

// Each subcommand lives in its own folder and builds its own Command. With no subcommand, serve.
var root = new RootCommand("llmserve all-in-one host");
var serve = ServeCommand.Create();
root.Subcommands.Add(serve);
root.Subcommands.Add(GenerateCommand.Create());
string[] effective = args.Length == 0 || args[0].StartsWith('-') && args[0] is not ("-h" or "--help" or "--version") ? ["serve", .. args] : args;
return await root.Parse(effective).InvokeAsync();
