"""简体中文: every text the app shows. Keys and {placeholders} match `en.py` one for one (tests/test_i18n.py checks)."""

ZH: dict[str, str] = {
    "app.title": "训练 Keras 模型的{Method_count}种方法",
    "nav.home": "首页",
    "nav.fit": "model.fit",
    "nav.train_on_batch": "train_on_batch",
    "nav.custom_loop": "自定义循环",
    "nav.compare": "比较",
    "language.label": "Language / 语言",
    "method.fit": "model.fit",
    "method.train_on_batch": "train_on_batch 循环",
    "method.custom_loop": "自定义循环 (GradientTape)",
    "page.fit": "model.fit",
    "page.train_on_batch": "train_on_batch",
    "page.custom_loop": "自定义循环",
    "page.compare": "比较",
    "page.another": "另一个",
    "home.intro": """
同一个网络、同一批路透社新闻，用{method_count}种方法训练：其中三种来自
*训练模型的3种方法* 一章（TensorFlow 2.1），已移植到 TensorFlow 2.21 / Keras 3；
另一种是 Keras 官方指南在它们之间补充的方法：

1. **`model.fit`**：Keras 负责训练循环，你通过回调函数（callbacks）来控制。
2. **`train_on_batch` 循环**：你自己写循环，可以在任意两个批次之间做调整
   （这里在第 5 个 epoch 把学习率减半）。
3. **自定义循环**：在 `tf.function` 中使用 `tf.GradientTape`，完全不需要 `compile`。
4. **带自定义 `train_step` 的 `fit`**：你编写单个批次的训练步骤；循环、验证和回调仍由 `fit` 负责。

每个页面都展示实际运行的代码，在浏览器中实时训练，并且在你浏览其他页面时继续训练。
侧边栏中的设置对所有页面生效。
""",
    "table.method": "方法",
    "table.control": "控制方式",
    "table.flexibility": "灵活性",
    "table.lines": "代码行数",
    "table.when": "适用场景",
    "table.fit.name": "model.fit",
    "table.fit.control": "通过回调函数",
    "table.fit.flexibility": "最低：由 Keras 运行循环",
    "table.fit.when": "首选：常规训练，回调函数（提前停止、学习率调度、检查点）就能提供所需的全部控制。",
    "table.train_on_batch.name": "train_on_batch 循环",
    "table.train_on_batch.control": "在你的循环中逐批控制",
    "table.train_on_batch.flexibility": "中等：批次之间可以改变任何东西",
    "table.train_on_batch.when": "需要在批次之间用普通 Python 做调整（调度、数据逻辑），而用回调不方便、Keras 自带的训练步骤又够用时。",
    "table.custom_loop.name": "自定义循环 (GradientTape)",
    "table.custom_loop.control": "训练步骤的每一行",
    "table.custom_loop.flexibility": "最高：无需 compile，自己写训练步骤",
    "table.custom_loop.when": "当 fit 的循环本身碍事时：多个模型或优化器、特殊的循环、需要掌控每一行的研究代码。",
    "home.link.fit": "model.fit",
    "home.link.train_on_batch": "train_on_batch 循环",
    "home.link.custom_loop": "自定义循环",
    "home.link.compare": "比较{method_count}种方法",
    "home.upload_expander": "使用另一个 reuters.npz（仅限本次会话）",
    "home.data_title": "数据：路透社新闻",
    "home.metric.train": "训练集新闻",
    "home.metric.test": "测试集新闻",
    "home.metric.vocab": "词表大小（最大编号 + 1）",
    "home.metric.topics": "主题数",
    "home.topics_note": "**主题**：少数几个主题（`earn`、`acq`）占了大部分新闻。",
    "home.length_note": "每条新闻的**长度**（词元数），以及 `max_len = {max_len}` 的截断位置。",
    "home.sample": "一条示例新闻（主题：{topic}）",
    "home.no_word_index": "没有可用的词索引，因此这里显示词元编号（设置 REUTERS_WORD_INDEX_PATH 即可显示单词）。",
    "home.model_title": "模型",
    "home.loading_tf": "正在加载 TensorFlow…",
    "home.model_caption": "参数总数：{total}。优化器 Nadam，损失为稀疏分类交叉熵，指标为准确率和 top-5 准确率。",
    "data.preparing": "正在准备路透社新闻数据（每台服务器只做一次）…",
    "data.unavailable": "**路透社数据集不可用。**",
    "data.how_to": (
        "{problem}\n\n"
        "- 在启动应用前把 `{env}` 设置为 `reuters.npz` 的路径，或者\n"
        "- 把 `reuters.npz` 放到 Keras 缓存目录：`{cache}`，或者\n"
        "- 在下面上传一个 `reuters.npz`：检查时不会运行其中的任何内容，且只用于你的本次会话。"
    ),
    "data.upload": "上传 reuters.npz",
    "data.using_upload": "本次会话使用你上传的 `{name}`。",
    "data.forget_upload": "改回默认数据",
    "settings.heading": "**训练设置**（所有页面）",
    "settings.epochs": "训练轮数 (epochs)",
    "settings.batch": "批大小 (batch size)",
    "settings.max_len": "每条新闻的词元数 (max_len)",
    "settings.max_len_help": "新闻在前面补零，或截断到这么多个词元。",
    "settings.lr": "学习率 (Nadam)",
    "settings.seed": "随机种子",
    "settings.seed_help": "初始权重和批次顺序只取决于随机种子：种子相同，训练过程相同。",
    "settings.options": "方法选项",
    "settings.halving": "train_on_batch：在第几个 epoch 把学习率减半（0 = 不减半）",
    "settings.early": "fit：EarlyStopping 的耐心值（0 = 关闭）",
    "settings.early_help": "val_loss 连续这么多个 epoch 没有改善时停止训练（fit，以及带自定义 train_step 的 fit）。",
    "settings.plateau": "fit：ReduceLROnPlateau 的耐心值（0 = 关闭）",
    "settings.plateau_help": "val_loss 连续这么多个 epoch 停滞时把学习率减半（fit，以及带自定义 train_step 的 fit）。",
    "settings.steps": "每次执行的步数（速度）",
    "settings.steps_help": "每次编译调用运行多个批次：结果完全相同，Python 往返更少。进度条会按步跳动。",
    "settings.apply": "应用设置",
    "settings.applied": "设置已应用。",
    "settings.reset": "恢复为书中的设置",
    "settings.link_caption": "页面地址现在包含这些设置：复制它即可分享。",
    "settings.link_ignored": "链接中以下设置无效，已忽略：{keys}。",
    "run.train": "训练",
    "run.train_all": "依次训练{method_count}种方法",
    "run.stop": "停止",
    "run.refused": "每个会话一次只能训练一个任务：{methods} 仍在{state}（在“{where}”页面启动）。请在那里停止它，或等待它结束。",
    "run.waiting": "正在等待空闲的训练位置：本服务器 {capacity} 个位置中有 {in_use} 个正忙。一旦有空位，你的训练会自动开始。",
    "run.progress": "{method}{position} · epoch {epoch}/{epochs} · 批次 {batch}/{batches}{left}",
    "run.position": "（第 {number} 个，共 {count} 个）",
    "run.left": " · 本 epoch 约剩 {seconds} 秒",
    "run.tracing": " · 正在把训练步骤追踪（trace）成 TensorFlow 计算图（约一秒，每次训练一次）",
    "run.finished": "已完成：{done} 个 epoch，用时 {seconds} 秒。{message}",
    "run.stopped": "已停止。{message} 已完成的 {done} 个 epoch 保留在下面。",
    "run.failed": "训练失败：{message}\n\n已完成的 {done} 个 epoch 保留在下面。",
    "message.stopped_during": "在第 {epoch} 个 epoch 中按请求停止。",
    "message.stopped_before_first": "在第一个 epoch 之前按请求停止。",
    "message.stopped_between": "在下一个方法开始之前按请求停止。",
    "message.stopped_waiting": "在空出训练位置之前已停止。",
    "message.left_watching": "你不再观看；这次训练会继续，另有 {others} 位设置完全相同的观看者。",
    "message.early_stopping": "早停（EarlyStopping）在第 {epoch} 个 epoch 后结束了训练。",
    "message.worker_lost": "训练工作进程丢失了。",
    "run.elsewhere": "你的 {methods} 任务正在“{where}”页面继续训练（epoch {epoch}/{epochs}）。图表在那个页面；你浏览时它会继续。",
    "state.waiting": "等待",
    "state.running": "运行",
    "method_page.settings_line": "{epochs} 个 epoch · 批大小 {batch} · max_len {max_len} · 学习率 {lr} · 种子 {seed} —— 可在侧边栏修改。",
    "method_page.empty": "点击 **训练**：每个 epoch 结束时图表上会出现一个点。",
    "epochs_finished": "已完成 {done} / {planned} 个 epoch。",
    "epochs_finished_first": "已完成 {done} / {planned} 个 epoch；第一个 epoch 结束时会出现第一个点。",
    "col.epoch": "Epoch",
    "col.loss": "损失",
    "col.accuracy": "准确率",
    "col.top5": "Top-5",
    "col.val_loss": "验证损失",
    "col.val_accuracy": "验证准确率",
    "col.val_top5": "验证 top-5",
    "col.lr": "学习率",
    "col.seconds": "秒",
    "col.finished_at": "完成时间",
    "download.csv": "下载 CSV",
    "download.json": "下载 JSON",
    "summary.run": "运行",
    "summary.method": "方法",
    "summary.status": "状态",
    "summary.best": "最佳验证准确率",
    "summary.best_epoch": "最佳所在 epoch",
    "summary.final": "最终验证准确率",
    "summary.final_top5": "最终验证 top-5",
    "summary.per_epoch": "每 epoch 秒数",
    "summary.total": "总秒数",
    "source.fit.main": "负责训练的函数（运行的正是这段代码）",
    "source.fit.callback": "报告进度并响应“停止”的回调",
    "source.fit.control": "可选的控制回调",
    "source.train_on_batch.main": "负责训练的函数（运行的正是这段代码）",
    "source.train_on_batch.averages": "批次结果如何变成 epoch 指标",
    "source.custom_loop.main": "负责训练的函数，含 train_step 和 valid_step（运行的正是这段代码）",
    "fit.title": "model.fit",
    "fit.intro": """
`model.fit` 是功能最强的内置训练方式：它接受 NumPy 数组、`tf.data.Dataset`
或 Python 生成器，替你运行训练循环，并让你**通过回调函数**来控制训练。本页的进度条和
图表就来自一个回调（`ReportToRun`）；在侧边栏的*方法选项*中可以加入 `EarlyStopping`
或 `ReduceLROnPlateau`，观察它们对曲线的影响。
""",
    "train_on_batch.title": "train_on_batch 循环",
    "train_on_batch.intro": """
比 `fit` 更灵活：由**你**编写遍历 epoch 和批次的循环，并调用
`model.train_on_batch` / `model.test_on_batch`，因此无需回调就能在任意两个批次之间做任何改变。
和书中一样，第 5 个 epoch 开始时学习率减半（图表上的虚线；可在*方法选项*中设置 epoch）。

Keras 3.15 在每次调用 `train_on_batch` 时都会重置指标，所以每次调用返回的是单个批次的结果；
循环按批大小加权，在整个 epoch 上求平均，从而报告与 `fit` 相同的 epoch 指标。
书中（基于 TF 2.1）只打印了*最后一个批次*，所以它的训练准确率是 0.909 = 20/22。
""",
    "custom_loop.title": "自定义训练循环",
    "custom_loop.intro": """
不用 `compile`：优化器直接根据 `tf.GradientTape` 记录的梯度更新权重，这一切发生在由
`tf.function` 编译的 `train_step` 中。这是最灵活的方式：训练步骤的每一行都由你决定。
指标遵循 Keras 的生命周期：只创建一次，每个批次 `update_state`，epoch 结束时 `result()`，
下一个 epoch 开始前 `reset_state()`。下面的 `train_step` 和 `valid_step` 是实际运行代码中的两个内部函数。
""",
    "compare.title": "比较{method_count}种方法",
    "compare.intro": """
一个任务依次训练每一种方法，**设置完全相同**：相同的初始权重，相同顺序的相同批次。
`fit`、自定义循环和带自定义 `train_step` 的 `fit` 画出的曲线相同，因为它们做的是相同的计算
（下方会显示它们的指标相差多少）；关闭学习率减半（*方法选项* → 0）后批次循环也一样，
否则它的区别只在于学习率调度。
下面可以叠加之前保存的运行，以及本应用所依据的书中打印的曲线。
""",
    "compare.first_points": "第一个 epoch 结束时会出现第一批点。",
    "compare.empty": "点击 **依次训练{method_count}种方法**，{method_count}种方法会一个接一个地训练。",
    "compare.overlay_title": "叠加已保存的运行和书中的曲线",
    "compare.saved_runs": "叠加到图表上的运行",
    "compare.book_toggle": "书中打印的曲线（TF 2.1）",
    "compare.book_caption": (
        "书中 train_on_batch 的训练指标按原样绘制：只是最后一个批次（22 条新闻），而不是整个 epoch。"
        "书中的自定义循环没有打印 top-5，所以这些点是缺失的，而不是编造的。"
    ),
    "compare.epochs_word": "个 epoch",
    "learned.title": "模型学到了什么",
    "learned.none": "在本页训练一次：训练好的模型会保留在本次会话中，并在这里展示。",
    "learned.none_compare": "训练{method_count}种方法（或在各自页面分别训练）：这里会用同一条新闻比较它们的模型。",
    "learned.model_caption": "运行 **{label}** 的模型（{epochs} 个 epoch）：测试准确率 {accuracy}。",
    "learned.other_data": "{label} 的模型是用其他数据或另一个 max_len（{max_len}）训练的；这里使用那份数据展示。",
    "learned.predicting": "正在用模型预测 {count} 条测试新闻（每个训练好的模型只做一次）…",
    "learned.tab_one": "单条新闻",
    "learned.tab_errors": "错在哪里",
    "learned.pick": "测试新闻编号（0 到 {last}）",
    "learned.random": "随机选一条",
    "learned.true_topic": "真实主题：**{topic}** · 预测：**{predicted}**（{probability}）",
    "learned.right": "正确",
    "learned.wrong": "错误",
    "learned.words": "新闻原文（单词）",
    "learned.token_ids": "新闻的词元编号（没有可用的词索引：设置 REUTERS_WORD_INDEX_PATH 即可显示单词）",
    "learned.top5": "模型给出的概率最高的五个主题",
    "learned.confusion_title": "{topics} 个主题上的混淆情况（测试集）",
    "learned.confusion_caption": "行是真实主题，列是预测主题；颜色采用对数刻度，即使只有一条新闻也能看见。对角线是模型预测正确的部分。",
    "learned.pairs_title": "最常混淆的主题对",
    "learned.pairs_true": "真实主题",
    "learned.pairs_predicted": "被预测为",
    "learned.pairs_count": "新闻数",
    "learned.pairs_share": "占真实主题的比例",
    "learned.pairs_none": "没有新闻被分到错误的主题。",
    "learned.per_topic_title": "各主题的准确率与该主题出现的频率",
    "learned.plateau": (
        "准确率为什么停滞：最大的两个主题占测试新闻的 {share_head}，模型答对其中的 {accuracy_head}，"
        "而其余新闻只答对 {accuracy_rest}；{topics} 个主题中有 {never_right} 个从未预测正确。"
        "稀有主题的样本太少，学不会，所以增加 epoch 主要是让训练集拟合得更好（训练准确率继续上升），"
        "测试准确率却基本不变。"
    ),
    "learned.compare_caption": "同一条测试新闻，分别输入本次会话中每种方法最新的模型。",
    "learned.compare_missing": "本次会话还没有训练好的 {method} 模型。",
    "chart.true_topic": "真实主题",
    "chart.predicted_topic": "预测主题",
    "chart.newswires": "新闻数",
    "chart.share": "占真实主题的比例",
    "chart.test_newswires": "该主题的测试新闻数（对数刻度）",
    "chart.accuracy": "该主题的准确率",
    "chart.overall": "总体准确率",
    "chart.topic": "主题",
    "chart.train_newswires": "训练新闻数",
    "chart.times_predicted": "被预测的次数",
    # -- a class on one server (issue 11)
    "run.train_fresh": "重新训练并实时观看",
    "run.queued": "排队中：第 {position} 位（前面还有 {ahead} 个）。{eta}轮到你时会自动开始。",
    "run.eta": "预计约 {seconds} 秒后开始（按本服务器上 epoch 的实际用时估算）。",
    "run.eta_unknown": "本服务器计时过一个 epoch 后会显示预计时间。",
    "run.joined": "{method}：你加入了一个设置完全相同、正在训练的任务：先显示已完成的 epoch，之后每个批次和 epoch 实时更新。它没有占用额外的训练位置。",
    "run.cached": "{method}：显示的是 {when} 训练的一次设置完全相同的结果。训练是确定性的，重新训练会得到相同的数字；点击 **重新训练并实时观看** 可以看到它们逐个出现。",
    "class.default_name": "学生 {number}",
    "class.name_label": "你在班级中的名字",
    "runs.private_caption": "你的运行（{count} 个），以及你用到的相同设置的结果。其他人看不到。",
    "runs.class_caption": "本班所有人的运行（{count} 个），显示各自填写的名字。",
    "runs.may_vanish": "这些运行保存在本服务器自己的磁盘上，服务器重启时（在 Community Cloud 上：重启、重新部署，或 12 小时无人访问后的休眠）会被清空。请下载你想保留的内容；应用的维护者可以用数据库（`DATABASE_URL`，见 README）永久保存运行。",
    "runs.store_error": "暂时无法读取已保存的运行：{error}",
    "runs.download_all": "下载这些运行（zip）",
    "runs.import": "导入运行（单个运行的 JSON，或“下载”得到的 zip）",
    "runs.how.trained": "自己训练",
    "runs.how.joined": "实时加入",
    "runs.how.cached": "相同设置的早先结果",
    "runs.how.imported": "导入",
    "runs.col.name": "名字",
    "runs.col.method": "方法",
    "runs.col.how": "来源",
    "runs.col.status": "状态",
    "runs.col.epochs_done": "完成的 epoch",
    "runs.col.best": "最佳验证准确率",
    "runs.col.final": "最终验证准确率",
    "runs.col.started": "开始时间",
    # -- ui14
    "settings.pending": "已更改但尚未应用：{fields}。点击 **应用设置** 之前，训练仍使用已应用的设置。",
    "method_page.code_title": "运行的代码",
    # -- cmp13
    "page.sweep": "扫描",
    "chart.cmp.loss": "损失",
    "chart.cmp.accuracy": "准确率",
    "chart.cmp.top5_accuracy": "Top-5 准确率",
    "chart.cmp.epoch": "轮次 (epoch)",
    "chart.cmp.step": "批次 (步)",
    "chart.cmp.run": "运行",
    "chart.cmp.split": "数据集",
    "chart.cmp.series": "曲线",
    "chart.cmp.method": "方法",
    "chart.cmp.value": "数值",
    "chart.cmp.learning_rate": "学习率",
    "chart.cmp.seconds": "秒",
    "chart.cmp.note": "说明",
    "chart.cmp.train": "训练",
    "chart.cmp.validation": "验证",
    "chart.cmp.reported": "方法报告的值",
    "chart.cmp.mean": "本轮累计均值",
    "chart.cmp.smoothed": "平滑后",
    "chart.cmp.raw": "原始值",
    "chart.cmp.lr_halves": "学习率减半",
    "chart.cmp.final_val_accuracy": "最终验证准确率",
    "chart.cmp.best_val_accuracy": "最佳验证准确率",
    "chart.cmp.batch_loss": "每个批次的训练损失",
    "chart.cmp.batch_accuracy": "每个批次的训练准确率",
    "cmp.method.fit": "fit",
    "cmp.method.train_on_batch": "批次循环",
    "cmp.method.custom_loop": "自定义循环",
    "cmp.setting.learning_rate": "学习率",
    "cmp.setting.batch_size": "批大小",
    "cmp.setting.epochs": "轮数",
    "cmp.setting.max_len": "max_len",
    "cmp.setting.seed": "种子",
    "cmp.setting.shuffle_buffer": "打乱缓冲",
    "cmp.setting.lr_halving_epoch": "减半轮次",
    "cmp.setting.early_stopping_patience": "提前停止",
    "cmp.setting.reduce_lr_patience": "降低学习率",
    "cmp.table_help": "勾选行（左侧的方框）即可在下方叠加这些运行；点击列标题可按该列排序。",
    "cmp.select_hint": "在表格中勾选一个或多个运行，即可在这里绘制它们。",
    "cmp.col.label": "标签",
    "cmp.chart_help": (
        "点击图例中的运行可突出显示它（按住 Shift 点击可多选，点击别处取消）；在图中拖动或滚动可沿轮次缩放，"
        "双击复原；悬停可读取某一轮次所有运行的数值。"
    ),
    "cmp.agree": (
        "**{fit}** 和 **{custom}** 从相同的权重开始，看到相同的批次：在 {epochs} 个轮次中它们一致到小数点后 "
        "{decimals} 位。最大差异：{differences}。它们做的是同样的计算，所以曲线重合：第一个运行的较宽线条"
        "会显示在较窄线条的外围。"
    ),
    "cmp.differ": (
        "**{fit}** 和 **{custom}** 从相同的权重开始，看到相同的批次，但学习率或 fit 的回调不同："
        "{epochs} 个轮次中的最大差异：{differences}。"
    ),
    "cmp.diff.loss": "损失",
    "cmp.diff.accuracy": "准确率",
    "cmp.diff.top5_accuracy": "Top-5 准确率",
    "cmp.diff.val_loss": "验证损失",
    "cmp.diff.val_accuracy": "验证准确率",
    "cmp.diff.val_top5_accuracy": "验证 Top-5 准确率",
    "cmp.batch_title": "每个批次",
    "cmp.smoothing": "平滑",
    "cmp.smoothing_help": "指数移动平均，与 TensorBoard 相同：0 显示原始值，0.99 最平滑。",
    "cmp.batch_caption.train_on_batch": (
        "在 Keras 3.15 中，每次调用 `train_on_batch` 返回的是**这一个批次**的损失和准确率，所以报告的曲线"
        "在批次之间跳动。`fit` 报告的则是**本轮到目前为止的累计均值**：平滑，并在每个轮次重新开始。这个循环"
        "自己维护这个均值（`BatchAverages`）；两条曲线都画出来了，淡色为原始值，其上为平滑后的值。"
    ),
    "cmp.batch_caption.other": (
        "这个方法每一步报告的已经是本轮到目前为止的累计均值，所以两条曲线重合；批次循环页面会把它们分开显示。"
    ),
    "cmp.batch_overlay": "所选运行在每个批次之后报告的值（保存的运行每个最多保留 1,000 个点）。",
    "cmp.no_batches": "还没有每批次曲线：前几个批次之后就会出现数据点。",
    "cmp.downloads": "下载所选运行和图表",
    "cmp.download_runs": "运行（CSV 和 JSON 的 zip）",
    "cmp.download_chart": "{chart}（{format}）",
    "sweep.title": "扫描一个设置",
    "sweep.intro": (
        "如果改变一个设置会怎样？选择一个方法、一个设置和 2 到 5 个取值：按一次即依次训练它们（相同的运行"
        "会被复用），**停止** 会结束整个扫描。"
    ),
    "sweep.method": "方法",
    "sweep.setting": "要改变的设置",
    "sweep.values": "取值（2 到 5 个；可输入自己的值并按回车）",
    "sweep.train": "训练扫描",
    "sweep.empty": "点击 **训练扫描**：每个运行的曲线会显示在下方，并附有最终准确率随取值的变化。",
    "sweep.invalid": "这个扫描无法训练：{problems}",
    "sweep.bad_value": "{value} 在这里不是有效的取值（{reason}）",
    "sweep.base": "其他设置取自侧边栏：{settings}。",
    "sweep.setting.learning_rate": "学习率",
    "sweep.setting.batch_size": "批大小",
    "sweep.setting.epochs": "轮数",
    "sweep.setting.max_len": "max_len（保留的词元数）",
    "sweep.setting.seed": "种子",
    # -- importing run files: one report per file (core.exchange's reasons, ui.saved_runs)
    "import.summary": "**{name}**：导入 {imported} 个运行，跳过 {skipped} 个。",
    "import.refused": "**{name}**：未导入任何运行：{reason}。",
    "import.more": "另有 {count} 项",
    "import.why.file_size": "文件大小为 {mb} MB，而运行文件最多 {limit_mb} MB",
    "import.why.zip_names": "zip 中的文件名不是有效的 UTF-8，无法列出其内容",
    "import.why.zip_unreadable": "它既不是运行的 JSON，也不是可读的 zip",
    "import.why.zip_members": "zip 中有 {count} 个文件，最多读取 {limit} 个",
    "import.why.zip_empty": "zip 中没有运行记录（.json 文件）",
    "import.why.unexpected": "无法读取该文件",
    "import.why.quota": "{message} 此文件的内容均未保存。",
    "import.why.not_saved": "这些运行无法保存（{error}），一个都没有保留；请稍后再试",
    "import.why.not_a_record": "不是运行记录（只读取 .json 文件）",
    "import.why.too_many_runs": "另有 {count} 个运行未读取：一个文件最多带入 {limit} 个运行",
    "import.why.zip_total": "另有 {count} 个运行未读取：zip 中的文件解压后合计最多 {limit_mb} MB",
    "import.why.member_size": "解压后 {kb} KB，对一个运行来说太大（最多 {limit_kb} KB）",
    "import.why.member_size_lied": "解压后比 zip 声称的更大（最多读取 {limit_kb} KB）",
    "import.why.member_unreadable": "在 zip 中已损坏，无法解压",
    "import.why.not_json": "不是 JSON 文本（UTF-8）",
    "import.why.too_deep": "其 JSON 嵌套过深，不可能是运行记录",
    "import.why.not_object": "不是运行记录（JSON 不是对象）",
    "import.why.field_missing": "不是运行记录：缺少 {field}",
    "import.why.field_type": "不是运行记录：{field} 的值类型不对",
    "import.why.method": "未知的方法 {method}（已知：{known}）",
    "import.why.status": "不是运行记录：其状态不是 running、finished、stopped 或 failed",
    "import.why.settings_method": "其设置中的方法与运行的方法不同",
    "import.why.settings": "没有运行会有这样的设置：{problems}",
    "import.why.too_many_epochs": "有 {count} 个 epoch，但其设置只计划了 {planned} 个",
    "import.why.epoch_row": "第 {position} 行 epoch 数据不是一个 epoch 的数值",
    "import.why.epoch_number": "第 {position} 行 epoch：epoch 编号不在 1 到 {planned} 之间",
    "import.why.epoch_order": "epoch {epoch} 重复或顺序错乱（epoch 必须递增）",
    "import.why.epoch_figure": "epoch {epoch}：{field} 不是运行可能产生的数值",
    "import.why.time": "{field} 不是日期时间",
    "import.why.batches": "其逐批曲线不是最多 1,000 个点、每点六个数、步数递增的列表",
    # -- a budget per run and per visitor (core/budget.py, ui/budget.py)
    "budget.estimate": (
        "本次运行的估计开销：峰值内存约 {memory}，训练约 {duration}。"
        "本服务器每次运行最多允许 {limit_memory}，每次按下“训练”最多 {limit_duration}。"
    ),
    "budget.estimate_total": (
        "这 {runs} 次运行的估计开销：最大一次的峰值内存约 {memory}，训练总计约 {duration}。"
        "本服务器每次运行最多允许 {limit_memory}，每次按下“训练”最多 {limit_duration}。"
    ),
    "budget.seconds": "{value} 秒",
    "budget.minutes": "{value} 分钟",
    "budget.hours": "{value} 小时",
    "budget.refused.memory": (
        "对本服务器来说太大：这次运行约需 {need} 内存，超过每次运行可用的 {limit}。"
        "请把 `{setting}` 降到 {largest} 或以下。"
    ),
    "budget.refused.time": (
        "对本服务器来说太久：总计约需训练 {need}（{runs} 次运行；比较或扫描按其所有运行的总和计算），"
        "超过每次按下“训练”允许的 {limit}。请把 `{setting}` 降到 {largest} 或以下，或减少运行次数。"
    ),
    "budget.refused.visitor_runs": (
        "你已有 {active} 次运行在排队或训练（在此标签页或其他标签页），已达本服务器对每位访客的上限（{limit}）。"
        "请等待它结束或停止它，然后再按“训练”。"
    ),
    "budget.refused.queue_full": (
        "训练队列已满：已有 {waiting} 次运行在等待空位，达到本服务器的上限（{limit}）。"
        "没有启动任何运行；请在有运行结束后再按“训练”。"
    ),
    "budget.link_refused": "链接中的设置未被应用。{reason}",
    # -- identity that lasts, classes that are opened (issue 21)
    "class.code_refused": "这不是班级代码（班级代码形如 `kx7m-3pq9-td2a`），你的运行保持私有。",
    "class.private": "你的运行只属于这个浏览器：刷新页面或服务器重启后仍然保留。可以用代码加入一个班级，或为学生开设一个班级。",
    "class.in_class": "班级 **{name}**（`{code}`）：知道这个代码的每个人都能看到本班的运行。",
    "class.unknown": "这个服务器上没有开设过代码为「{code}」的班级，所以没有加入任何班级。请向老师核对代码。",
    "class.slow_down": "输错的班级代码太多：请 {seconds} 秒后再试。",
    "class.server_slow_down": "这个服务器在最近一分钟内收到了很多错误的班级代码：请 {seconds} 秒后再试。",
    "class.teacher_refused": "这个链接中老师的部分无效：你以学生身份加入了班级。",
    "class.join_title": "加入或开设班级",
    "class.code_label": "班级代码",
    "class.join": "加入",
    "class.name_new_label": "新班级的名称（可选）",
    "class.open": "开设班级",
    "class.leave": "回到我的私有运行",
    "class.read_only_closed": "这个班级已关闭：它的运行仍在这里可见，你现在训练的运行是私有的。",
    "class.read_only_legacy": "这个班级代码来自本应用的早期版本：它的运行仍在这里可见（只读），你现在训练的运行是私有的。请向老师要一个新班级。",
    "class.teacher_title": "老师：管理这个班级",
    "class.share_link": "把这个链接发给学生（或把代码读给他们听）：",
    "class.show_teacher_link": "显示老师链接",
    "class.teacher_link_warning": "持有老师链接的人可以重命名、清空和关闭这个班级。请自己保管，不要发给学生。即使没有它，这个浏览器仍然是班级的老师。",
    "class.teacher_by_browser": "这个浏览器开设了这个班级，所以由它管理。老师链接在开设班级时已经显示过。",
    "class.rename_label": "班级名称",
    "class.rename": "重命名",
    "class.renamed": "班级已重命名。",
    "class.remove_label": "要从班级中移除的运行",
    "class.remove": "从班级中移除",
    "class.too_many": "你已经开设了 {limit} 个班级，达到本服务器对每位访问者的上限。请使用其中一个，或请服务器维护者调高 `TRAINING_CLASSES_PER_VISITOR`。",
    "class.removed": "已从班级中移除 {count} 个运行。",
    "class.close_confirm": "是的，永久关闭这个班级",
    "class.close": "关闭班级",
    "class.closed_now": "班级已关闭：它的运行对班级链接仍然可见，任何人都不能再添加新的运行。",
    "identity.title": "在另一台设备上查看你的私有运行",
    "identity.explain": "这个浏览器保存着一个私有密钥，用来找到你的运行。要在另一台设备上查看它们，请在那里打开你的私有链接。",
    "identity.show": "显示我的私有链接",
    "identity.warning": "任何拿到这个链接的人都能看到你的私有运行并向其中添加。不要分享它：它不是班级链接。只在你自己的设备上打开。",
    "identity.key_refused": "链接中的私有密钥无效：这个浏览器保留它自己的密钥。",
    "identity.key_adopted": "这个浏览器现在使用你链接中的私有密钥：你在那台设备上的运行都在这里了。",
    "identity.key_pending": "这个链接带有另一个私有密钥，但这个浏览器在自己的密钥下已有运行。要切换到链接中的密钥吗？这里的运行仍保留在这个浏览器的密钥下（打开它的私有链接即可回到它们）。",
    "identity.use_link_key": "使用链接中的密钥",
    "identity.keep_key": "保留这个浏览器的密钥",
    # -- fair quotas and runs that end honestly (issue 21)
    "message.interrupted": "已中断：训练它的进程结束了（服务器重启或工作进程丢失）。已完成的 epoch 都保留着。",
    "message.quota_visitor": (
        "已拒绝：你的 {limit} 个运行的配额已满（已保存 {used} 个，新增 {wanted} 个）。为腾出空间只会删除你自己已结束的私人运行，"
        "而可删除的不够。"
    ),
    "message.quota_class": (
        "已拒绝：这个班级的 {limit} 个运行的配额已满（已保存 {used} 个，新增 {wanted} 个）。为腾出空间只会删除你自己在这个班级里"
        "已结束的运行，而可删除的不够：请联系老师。"
    ),
    "message.quota_server": (
        "已拒绝：这台服务器的 {limit} 个运行的配额已满（已保存 {used} 个，新增 {wanted} 个）。为腾出空间只会删除你自己已结束的"
        "私人运行，而可删除的不够。"
    ),
    "run.finished_cached": "已完成：{done} 个 epoch，训练于 {when}；训练用时 {seconds} 秒。",
    # -- take it with you: the trained model as a .keras file (issue 23)
    "take.download_model": "下载 {label} 的模型（.keras）",
    "take.how_to_load_title": "如何加载下载的模型",
    "take.how_to_load": (
        "这个 `.keras` 文件包含运行的模型结构、训练好的权重以及编译方式（Nadam 使用该运行的学习率，稀疏分类交叉熵，"
        "准确率和 top-5 准确率；优化器从头开始，运行结束后不保留它的状态）。在 Python 中用 Keras 3 加载：\n\n"
        "```python\n"
        "import keras\n\n"
        "model = keras.saving.load_model(\"{file}\")\n"
        "model.summary()\n"
        "# x：以词序号表示的新闻，在前端填充并截断到 {max_len} 个词，形状为 (n, {max_len})\n"
        "probabilities = model.predict(x)  # 每条新闻一行，每个主题一个概率\n"
        "```\n\n"
        "新的新闻请像本应用一样准备：`keras.utils.pad_sequences(sequences, maxlen={max_len})`。"
    ),
    "take.weights_gone": (
        "**{label}** 是从较早的运行中显示的结果，这台服务器已不再保留它的权重（只保留最近结果的权重），"
        "因此既不能在测试集上展示它的模型，也不能下载。请按上方的 **重新训练并实时观看**：相同的设置得到相同的数字，"
        "那次运行的模型可以下载。"
    ),
    "take.saved_weights_gone": (
        "{label}：这台服务器没有保留它的权重（只保留最近运行的权重，从不保留导入运行的权重），因此无法下载它的模型。"
        "请在它的方法页面上用相同的设置重新训练。"
    ),
    "take.download_runs": "运行（CSV、JSON 和 TensorBoard 日志的 zip）",
    "take.tensorboard_help": (
        "zip 中有一个 TensorBoard 日志目录 `tensorboard/`，每个运行一个文件夹：每个 epoch 和每个批次的数值作为标量，"
        "设置放在 HParams 表中。查看方法：解压后运行 `pip install tensorboard` 和 `tensorboard --logdir tensorboard`。"
    ),
    # -- fit's logging callbacks (issue 23, item 4)
    "take.callbacks_label": "为这次运行添加 Keras 的日志回调（它们的文件会放进比较页的下载中）：",
    "take.csv_logger": "CSVLogger：每个 epoch 一行 CSV",
    "take.tensorboard_callback": "TensorBoard：事件文件",
    "take.tensorboard_missing": (
        "Keras 的 TensorBoard 回调通过 TensorBoard 自己的摘要代码写入，而这台服务器没有安装 `tensorboard` 包"
        "（在服务器上运行 `pip install tensorboard` 即可启用）。比较页下载所选运行时，无论如何都包含每个运行的 TensorBoard 日志。"
    ),
    "take.callbacks_title": "实际运行的回调",
    "take.callbacks_caption": "**{label}** 传给 `model.fit` 的回调列表，与运行时完全一致。",
    "take.callbacks_files": (
        "**{label}** 传给 `model.fit` 的回调列表，与运行时完全一致（路径相对于该运行的文件夹）。它的文件（{files}）"
        "在比较页所选运行的下载中，位于 `files/{run_id}/`，TensorBoard 的文件位于 `tensorboard/{run_id}/callback/`。"
    ),
    "take.callbacks_added": "训练时会把 {names} 加入 `fit` 的回调；运行结束后本页显示完整的回调列表。",
    "take.weights_not_here": (
        "**{label}** 的权重没有到达这个页面（你在它结束前停止了观看，或训练它的工作进程无法把权重传回），"
        "因此既不能在测试集上展示它的模型，也不能下载。请训练它，以得到可以下载的模型。"
    ),
    # -- method registry (issue 22): counts said in words, e.g. "{method_count}种方法"
    "number.words": "零 一 两 三 四 五 六 七 八 九 十 十一 十二",
    # -- fit with your own train_step (issue 23): the fourth method's texts
    "method.custom_train_step": "带自定义 train_step 的 fit",
    "nav.custom_train_step": "fit + train_step",
    "page.custom_train_step": "fit + train_step",
    "home.link.custom_train_step": "fit + train_step",
    "table.custom_train_step.name": "fit + 自定义 train_step",
    "table.custom_train_step.control": "单个批次训练步骤的每一行",
    "table.custom_train_step.flexibility": "较高：自己的训练步骤，fit 的循环和回调",
    "table.custom_train_step.when": "当更新方式本身是新的（另一种损失、GAN、额外的项），但仍想保留 fit 的回调、进度、验证和分布式支持时。",
    "custom_train_step.title": "带自定义 train_step 的 fit",
    "custom_train_step.intro": """
这是 Keras 官方指南 *Customizing what happens in `fit()`* 推荐的中间道路：继承 `keras.Model`，
用你自己的 `tf.GradientTape` 步骤重写 **`train_step`**，然后照常调用 `fit`。你编写的是**单个批次**
发生的事：前向计算、损失、梯度、更新和指标。循环、验证、`steps_per_execution` 和所有回调仍由 `fit`
负责，所以本页的进度、停止按钮以及 fit 页面可选的 `EarlyStopping` / `ReduceLROnPlateau`
（*方法选项*）都照常工作。

这里的训练步骤与 `fit` 内置的步骤做相同的事（包括按批大小加权的损失），所以从相同的随机种子出发，
它给出与 `fit` 相同的指标：比较页面会显示它们相差多少（在本机上完全相同）。改动 `train_step`
中的一行，你就得到一种新的算法，同时保留 `fit` 的全部便利。
""",
    "cmp.method.custom_train_step": "train_step",
    "source.custom_train_step.main": "负责训练的函数（运行的正是这段代码）",
    "source.custom_train_step.step": "模型类：fit 对每个批次调用的正是它的 train_step",
    # -- run endings as message codes (issue 22)
    "message.imported_running": "导入时它仍在运行。",
    "message.not_saved": "{message}（未保存：{error}）",
}
